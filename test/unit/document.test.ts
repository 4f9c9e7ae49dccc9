import fc from 'fast-check';
import {
  canonicalJson,
  decodePolicyDocument,
  documentSize,
  documentsEqual,
  normalisePolicyDocument,
  serialiseDocument,
} from '../../src/domain/document';
import type { PolicyDocument } from '../../src/domain/types';

const reportsRead: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ReadReports',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: ['arn:aws:s3:::reports', 'arn:aws:s3:::reports/*'],
    },
  ],
};

describe('decodePolicyDocument', () => {
  it('decodes a URL-encoded document as real IAM returns it', () => {
    const encoded = encodeURIComponent(JSON.stringify(reportsRead, null, 4));
    expect(encoded.startsWith('%7B')).toBe(true);
    expect(decodePolicyDocument(encoded)).toEqual(reportsRead);
  });

  it('takes raw JSON as moto returns it, without decoding a literal %', () => {
    const document = { ...reportsRead, Id: '100%25 sure' };
    expect(decodePolicyDocument(`  ${JSON.stringify(document, null, 2)}\n`)).toEqual(document);
  });

  it('throws a clear error for non-JSON, non-objects and broken encoding', () => {
    expect(() => decodePolicyDocument('not json')).toThrow(/not valid JSON/);
    expect(() => decodePolicyDocument(encodeURIComponent('[1,2]'))).toThrow(/must be a JSON object/);
    expect(() => decodePolicyDocument('%E0%A4%A')).toThrow(/URL-encoded/);
    expect(() => decodePolicyDocument('{"a":')).toThrow(/not valid JSON/);
  });
});

describe('documentsEqual', () => {
  it('ignores key order and white space', () => {
    const reordered = JSON.parse(
      '{ "Statement": [ { "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],\n' +
        '"Action": ["s3:GetObject", "s3:ListBucket"], "Effect": "Allow", "Sid": "ReadReports" } ],\n' +
        '"Version": "2012-10-17" }',
    ) as PolicyDocument;
    expect(documentsEqual(reportsRead, reordered)).toBe(true);
  });

  it('treats a string like a one-element array, and a single statement like a one-element list', () => {
    const a = {
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
    };
    const b = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }],
    };
    expect(documentsEqual(a, b)).toBe(true);
  });

  it('ignores value order and repeats in Action and Resource lists', () => {
    const statement = (reportsRead.Statement as Record<string, unknown>[])[0];
    const shuffled = {
      Version: '2012-10-17',
      Statement: [
        {
          ...statement,
          Action: ['s3:ListBucket', 's3:GetObject', 's3:ListBucket'],
          Resource: ['arn:aws:s3:::reports/*', 'arn:aws:s3:::reports'],
        },
      ],
    };
    expect(documentsEqual(reportsRead, shuffled)).toBe(true);
  });

  it('ignores statement order', () => {
    const allow = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };
    const deny = { Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' };
    expect(
      documentsEqual(
        { Version: '2012-10-17', Statement: [allow, deny] },
        { Version: '2012-10-17', Statement: [deny, allow] },
      ),
    ).toBe(true);
  });

  it('ignores value order inside Condition blocks, and a string vs a one-element list there', () => {
    const withCondition = (values: unknown) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:RequestedRegion': values } },
        },
      ],
    });
    expect(
      documentsEqual(withCondition(['eu-west-1', 'us-east-1']), withCondition(['us-east-1', 'eu-west-1'])),
    ).toBe(true);
    expect(documentsEqual(withCondition('eu-west-1'), withCondition(['eu-west-1']))).toBe(true);
    expect(documentsEqual(withCondition(['eu-west-1']), withCondition(['eu-west-2']))).toBe(false);
  });

  it('keeps different documents different', () => {
    const statement = (reportsRead.Statement as Record<string, unknown>[])[0];
    const variants: PolicyDocument[] = [
      { ...reportsRead, Version: '2008-10-17' },
      { ...reportsRead, Statement: [{ ...statement, Effect: 'Deny' }] },
      { ...reportsRead, Statement: [{ ...statement, Action: ['s3:GetObject'] }] },
      { ...reportsRead, Statement: [{ ...statement, Action: ['S3:GetObject', 's3:ListBucket'] }] },
      { ...reportsRead, Statement: [{ ...statement, Sid: 'Other' }] },
      { ...reportsRead, Statement: [statement, { ...statement, Sid: 'Second' }] },
      { ...reportsRead, Statement: [{ ...statement, NotResource: statement.Resource, Resource: undefined }] },
    ];
    for (const variant of variants) expect(documentsEqual(reportsRead, variant)).toBe(false);
  });

  it('normalises Principal values without touching a "*" principal', () => {
    const withPrincipal = (principal: unknown) => ({
      Version: '2012-10-17',
      Statement: [{ Principal: principal }],
    });
    expect(documentsEqual(withPrincipal({ AWS: ['b', 'a'] }), withPrincipal({ AWS: ['a', 'b'] }))).toBe(true);
    expect(documentsEqual(withPrincipal({ AWS: 'a' }), withPrincipal({ AWS: ['a'] }))).toBe(true);
    expect(documentsEqual(withPrincipal('*'), withPrincipal({ AWS: '*' }))).toBe(false);
  });

  it('matches a document read back URL-encoded from IAM with the one that was sent', () => {
    const sent = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iam:Get*', Resource: '*' } };
    const returned = encodeURIComponent(
      JSON.stringify(
        { Statement: [{ Resource: ['*'], Effect: 'Allow', Action: ['iam:Get*'] }], Version: '2012-10-17' },
        null,
        2,
      ),
    );
    expect(documentsEqual(sent, decodePolicyDocument(returned))).toBe(true);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, leaves no white space and keeps array order', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: null }], a: 'x y', '10': 1, '9': 2 })).toBe(
      '{"10":1,"9":2,"a":"x y","b":[3,{"a":null,"z":1}]}',
    );
  });

  it('drops undefined members like JSON.stringify', () => {
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
  });

  it('keeps a "__proto__" key from JSON as data', () => {
    const parsed = JSON.parse('{"__proto__":{"x":1},"a":1}') as PolicyDocument;
    expect(canonicalJson(normalisePolicyDocument(parsed))).toBe('{"__proto__":{"x":1},"a":1}');
  });
});

describe('documentSize and serialiseDocument', () => {
  it('counts characters without white space, including white space inside strings', () => {
    const document = { Id: 'a b\tc' };
    expect(serialiseDocument(document)).toBe('{"Id":"a b\\tc"}');
    expect(documentSize(document)).toBe('{"Id":"ab\\tc"}'.length);
  });

  it('does not depend on how the document was formatted', () => {
    const pretty = JSON.parse(JSON.stringify(reportsRead, null, 8)) as PolicyDocument;
    expect(documentSize(pretty)).toBe(documentSize(reportsRead));
  });
});

describe('normalisation properties', () => {
  const value = fc.oneof(
    fc.constantFrom('s3:GetObject', 's3:PutObject', 'iam:*', '*'),
    fc.string({ maxLength: 6 }),
  );
  const stringOrList = fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 4 }));
  const statement = fc.record(
    {
      Sid: fc.stringMatching(/^[A-Za-z0-9]{0,4}$/),
      Effect: fc.constantFrom('Allow', 'Deny'),
      Action: stringOrList,
      Resource: stringOrList,
      Condition: fc.dictionary(
        fc.constantFrom('StringEquals', 'StringLike'),
        fc.dictionary(fc.constantFrom('aws:a', 'aws:b'), stringOrList),
      ),
    },
    { requiredKeys: ['Effect', 'Action', 'Resource'] },
  );
  const document = fc.record({
    Version: fc.constantFrom('2012-10-17', '2008-10-17'),
    Statement: fc.oneof(statement, fc.array(statement, { minLength: 1, maxLength: 4 })),
  });

  /** Reverses arrays and key insertion order everywhere: the same policy, written differently. */
  function shuffle(input: unknown): unknown {
    if (Array.isArray(input)) return input.map(shuffle).reverse();
    if (typeof input === 'object' && input !== null) {
      return Object.fromEntries(
        Object.entries(input)
          .reverse()
          .map(([k, v]) => [k, shuffle(v)]),
      );
    }
    return input;
  }

  it('is idempotent', () => {
    fc.assert(
      fc.property(document, (doc) => {
        const once = normalisePolicyDocument(doc);
        expect(normalisePolicyDocument(once as PolicyDocument)).toEqual(once);
      }),
    );
  });

  it('is insensitive to key order, list order and statement order', () => {
    fc.assert(fc.property(document, (doc) => documentsEqual(doc, shuffle(doc) as PolicyDocument)));
  });

  it('survives a round trip through IAM-style URL encoding', () => {
    fc.assert(
      fc.property(document, (doc) =>
        documentsEqual(doc, decodePolicyDocument(encodeURIComponent(JSON.stringify(doc, null, 2)))),
      ),
    );
  });
});
