import { documentSize } from '../../src/domain/document';
import {
  MAX_DOCUMENT_SIZE,
  upsertDocumentProblem,
  validatePolicyDocument,
} from '../../src/domain/document-rules';
import type { PolicyDocument } from '../../src/domain/types';

const statement = {
  Sid: 'ReadReports',
  Effect: 'Allow',
  Action: 's3:GetObject',
  Resource: 'arn:aws:s3:::reports/*',
};

function withStatements(...statements: unknown[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** A copy of the statement without `key`. */
function without(key: keyof typeof statement): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...statement };
  delete copy[key];
  return copy;
}

/** A valid document of exactly `size` characters (white space not counted), padded in a Resource. */
function documentOfSize(size: number): PolicyDocument {
  const base = withStatements({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::' });
  const padding = size - documentSize(base);
  return withStatements({
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${'x'.repeat(padding)}`,
  });
}

describe('validatePolicyDocument', () => {
  it('accepts valid documents', () => {
    expect(validatePolicyDocument(withStatements(statement))).toEqual([]);
    expect(validatePolicyDocument({ Version: '2008-10-17', Id: 'x', Statement: statement })).toEqual([]);
    expect(
      validatePolicyDocument(
        withStatements(
          { Effect: 'Deny', NotAction: ['iam:*', 's3:Get*'], NotResource: '*', Sid: '' },
          {
            Effect: 'Allow',
            Action: '*',
            Resource: ['*'],
            Condition: { Bool: { 'aws:SecureTransport': true }, StringEquals: { 'aws:x': ['a', 'b'] } },
            Sid: '',
          },
        ),
      ),
    ).toEqual([]);
  });

  it('requires a JSON object', () => {
    expect(validatePolicyDocument('{}')).toEqual(['the policy document must be a JSON object, got "{}"']);
    expect(validatePolicyDocument([])).toEqual(['the policy document must be a JSON object, got []']);
    expect(validatePolicyDocument(null)).toEqual(['the policy document must be a JSON object, got null']);
  });

  it('requires a known Version', () => {
    expect(validatePolicyDocument({ Statement: statement })).toEqual(['Version is required ("2012-10-17")']);
    expect(validatePolicyDocument({ Version: '2012-10-18', Statement: statement })).toEqual([
      'Version must be "2012-10-17" or "2008-10-17", got "2012-10-18"',
    ]);
  });

  it('refuses unknown top-level keys and a non-string Id', () => {
    expect(validatePolicyDocument({ ...withStatements(statement), Extra: 1, Id: 2 })).toEqual([
      'unknown top-level key "Extra" (allowed: Version, Id, Statement)',
      'Id must be a string, got 2',
    ]);
  });

  it('requires Statement to be an object or a non-empty array of objects', () => {
    expect(validatePolicyDocument({ Version: '2012-10-17' })).toEqual(['Statement is required']);
    expect(validatePolicyDocument(withStatements())).toEqual(['Statement must not be an empty array']);
    expect(validatePolicyDocument({ Version: '2012-10-17', Statement: 'x' })).toEqual([
      'Statement must be an object or a non-empty array of objects, got "x"',
    ]);
    expect(validatePolicyDocument(withStatements(statement, 5))).toEqual([
      'Statement[1] must be an object, got 5',
    ]);
  });

  it('requires Effect to be exactly "Allow" or "Deny"', () => {
    expect(
      validatePolicyDocument(withStatements(statement, { ...statement, Sid: 'B', Effect: 'allow' })),
    ).toEqual(['Statement[1].Effect must be "Allow" or "Deny", got "allow"']);
    expect(validatePolicyDocument({ Version: '2012-10-17', Statement: without('Effect') })).toEqual([
      'Statement.Effect is required ("Allow" or "Deny")',
    ]);
  });

  it('requires exactly one of Action and NotAction, well formed', () => {
    expect(validatePolicyDocument(withStatements(without('Action')))).toEqual([
      'Statement[0] must have Action or NotAction',
    ]);
    expect(validatePolicyDocument(withStatements({ ...statement, NotAction: 's3:*' }))).toEqual([
      'Statement[0] must have only one of Action and NotAction, not both',
    ]);
    for (const bad of ['', [], [''], ['s3:GetObject', 5]]) {
      expect(validatePolicyDocument(withStatements({ ...statement, Action: bad }))).toEqual([
        'Statement[0].Action must be a non-empty string or a non-empty array of non-empty strings',
      ]);
    }
    expect(
      validatePolicyDocument(withStatements({ ...statement, Action: ['s3:GetObject', 's3GetObject'] })),
    ).toEqual(['Statement[0].Action[1] must be "*" or "service:action", got "s3GetObject"']);
    expect(validatePolicyDocument(withStatements({ ...statement, Action: 's3:a:b' }))).toEqual([
      'Statement[0].Action must be "*" or "service:action", got "s3:a:b"',
    ]);
  });

  it('requires exactly one of Resource and NotResource, well formed', () => {
    expect(validatePolicyDocument(withStatements(without('Resource')))).toEqual([
      'Statement[0] must have Resource or NotResource',
    ]);
    expect(validatePolicyDocument(withStatements({ ...statement, NotResource: '*' }))).toEqual([
      'Statement[0] must have only one of Resource and NotResource, not both',
    ]);
    expect(validatePolicyDocument(withStatements({ ...statement, Resource: {} }))).toEqual([
      'Statement[0].Resource must be a non-empty string or a non-empty array of non-empty strings',
    ]);
    expect(validatePolicyDocument(withStatements({ ...statement, Resource: 'reports' }))).toEqual([
      'Statement[0].Resource must be an ARN ("arn:...") or "*", got "reports"',
    ]);
  });

  it('refuses Principal and NotPrincipal: identity-based policies have none', () => {
    expect(
      validatePolicyDocument(
        withStatements(
          { ...statement, Principal: '*' },
          { ...statement, Sid: 'B', NotPrincipal: { AWS: 'x' } },
        ),
      ),
    ).toEqual([
      'Statement[0].Principal is not allowed: identity-based policies have no principal',
      'Statement[1].NotPrincipal is not allowed: identity-based policies have no principal',
    ]);
  });

  it('refuses unknown statement keys', () => {
    expect(validatePolicyDocument(withStatements({ ...statement, Effects: 'Allow' }))).toEqual([
      'Statement[0] has unknown key "Effects" (allowed: Sid, Effect, Action, NotAction, Resource, NotResource, Condition)',
    ]);
  });

  it('requires Sids of letters and digits, unique across statements', () => {
    expect(validatePolicyDocument(withStatements({ ...statement, Sid: 'read-reports' }))).toEqual([
      'Statement[0].Sid must be a string of letters A-Z, a-z and digits 0-9, got "read-reports"',
    ]);
    expect(validatePolicyDocument(withStatements({ ...statement, Sid: 7 }))).toEqual([
      'Statement[0].Sid must be a string of letters A-Z, a-z and digits 0-9, got 7',
    ]);
    expect(validatePolicyDocument(withStatements(statement, { ...statement, Effect: 'Deny' }))).toEqual([
      'Statement[1].Sid "ReadReports" is already used by Statement[0]: Sids must be unique',
    ]);
    expect(
      validatePolicyDocument(withStatements({ ...statement, Sid: '' }, { ...statement, Sid: '' })),
    ).toEqual([]);
  });

  it('requires Condition to be an object of objects of condition values', () => {
    expect(validatePolicyDocument(withStatements({ ...statement, Condition: ['x'] }))).toEqual([
      'Statement[0].Condition must be an object of condition operators, got ["x"]',
    ]);
    expect(
      validatePolicyDocument(withStatements({ ...statement, Condition: { StringEquals: 'x' } })),
    ).toEqual(['Statement[0].Condition.StringEquals must be an object of condition keys, got "x"']);
    expect(
      validatePolicyDocument(
        withStatements({ ...statement, Condition: { StringEquals: { 'aws:x': { a: 1 } } } }),
      ),
    ).toEqual([
      'Statement[0].Condition.StringEquals["aws:x"] must be a string, number, boolean or an array of them, got {"a":1}',
    ]);
  });

  it('allows 6,144 characters without white space and refuses 6,145', () => {
    const atLimit = documentOfSize(MAX_DOCUMENT_SIZE);
    expect(documentSize(atLimit)).toBe(6144);
    expect(validatePolicyDocument(atLimit)).toEqual([]);
    const overLimit = documentOfSize(MAX_DOCUMENT_SIZE + 1);
    expect(validatePolicyDocument(overLimit)).toEqual([
      'the document is 6145 characters long without white space; IAM allows at most 6144',
    ]);
  });

  it('does not count white space against the limit', () => {
    const atLimit = documentOfSize(MAX_DOCUMENT_SIZE);
    const withSpaces = { ...atLimit, Id: ' '.repeat(500) };
    expect(documentSize(withSpaces)).toBe(MAX_DOCUMENT_SIZE + '"Id":"",'.length);
    const resource = (atLimit.Statement as { Resource: string }[])[0].Resource;
    const spaced = withStatements({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `${resource}${' '.repeat(100)}`,
    });
    expect(validatePolicyDocument(spaced)).toEqual([]);
  });

  it('accepts Latin-1 and refuses other characters, naming the code point and the place', () => {
    expect(validatePolicyDocument({ ...withStatements(statement), Id: 'Café\tÿ' })).toEqual([]);
    expect(validatePolicyDocument({ ...withStatements(statement), Id: 'Berichte 報告' })).toEqual([
      'Id contains U+5831, U+544A, which IAM does not accept (allowed: tab, LF, CR, U+0020 to U+00FF)',
    ]);
    expect(
      validatePolicyDocument(
        withStatements({ ...statement, Resource: ['arn:aws:s3:::€', 'arn:aws:s3:::😀'] }),
      ),
    ).toEqual([
      'Statement[0].Resource[0] contains U+20AC, which IAM does not accept (allowed: tab, LF, CR, U+0020 to U+00FF)',
      'Statement[0].Resource[1] contains U+1F600, which IAM does not accept (allowed: tab, LF, CR, U+0020 to U+00FF)',
    ]);
    expect(
      validatePolicyDocument(
        withStatements({ ...statement, Condition: { StringEquals: { 'aws:\u0001': 'x' } } }),
      ),
    ).toEqual([
      'key "aws:\\u0001" in Statement[0].Condition.StringEquals contains U+0001, which IAM does not accept (allowed: tab, LF, CR, U+0020 to U+00FF)',
    ]);
  });

  it('reports every problem at once', () => {
    const problems = validatePolicyDocument({
      Version: '1',
      Statement: [{ Effect: 'Maybe', Action: 'x' }],
    });
    expect(problems).toHaveLength(4);
  });
});

test('a deeply nested document is refused without exhausting the stack', () => {
  let deep: unknown = 's3:GetObject';
  for (let i = 0; i < 20000; i += 1) deep = [deep];
  const problems = validatePolicyDocument({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: deep, Resource: '*' }],
  });
  expect(problems).toEqual(['the policy document is nested deeper than 32 levels']);
});

describe('upsertDocumentProblem', () => {
  const valid = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
  };

  test('a delete has none; an upsert with a valid document has none', () => {
    expect(upsertDocumentProblem({ type: 'iam.policy.delete' })).toBeUndefined();
    expect(upsertDocumentProblem({ type: 'iam.policy.upsert', document: valid })).toBeUndefined();
  });

  test('an upsert without a document, or with a broken one, says why', () => {
    expect(upsertDocumentProblem({ type: 'iam.policy.upsert' })).toBe(
      'invalid policy document: the upsert has no document',
    );
    const broken = { ...valid, Statement: [{ ...valid.Statement[0], Effect: 'allow' }] };
    expect(upsertDocumentProblem({ type: 'iam.policy.upsert', document: broken })).toMatch(
      /^invalid policy document: .*Effect/,
    );
  });
});
