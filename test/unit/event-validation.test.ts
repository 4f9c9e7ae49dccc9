import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validateEvent, type EventValidation } from '../../src/sources/event-validation';
import type { PolicyEvent } from '../../src/domain/types';

const examples = readFileSync(path.join(__dirname, '../../contract/examples/basic.ndjson'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Record<string, unknown>);

const document = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' }],
};

function upsert(
  overrides: Record<string, unknown> = {},
  data: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: 'evt-1',
    source: 'urn:test',
    type: 'iam.policy.upsert',
    data: { policyName: 'reports-read', document, ...data },
    ...overrides,
  };
}

function accepted(result: EventValidation): PolicyEvent {
  if (!result.ok) throw new Error(`expected the event to be valid, got: ${result.reason}`);
  return result.event;
}

function reason(result: EventValidation): string {
  if (result.ok) throw new Error('expected the event to be rejected');
  return result.reason;
}

describe('validateEvent: the contract examples', () => {
  it.each(examples.map((event, index) => [index + 1, event]))('line %i is valid', (_line, event) => {
    expect(validateEvent(event).ok).toBe(true);
  });

  it('reduces the first example to a PolicyEvent', () => {
    expect(accepted(validateEvent(examples[0]))).toEqual({
      source: 'urn:example:access-requests',
      id: 'evt-0001',
      type: 'iam.policy.upsert',
      time: '2026-11-28T09:00:00Z',
      sequence: '1',
      policyName: 'reports-read',
      path: '/teams/analytics/',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ReadReports',
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:ListBucket'],
            Resource: ['arn:aws:s3:::reports', 'arn:aws:s3:::reports/*'],
          },
        ],
      },
      description: 'Read access to the reports bucket',
      tags: { team: 'analytics' },
    });
  });

  it('reduces the delete example without a document, tags or description', () => {
    const event = accepted(validateEvent(examples[3]));
    expect(event).toEqual({
      source: 'urn:example:access-requests',
      id: 'evt-0003',
      type: 'iam.policy.delete',
      time: '2026-11-28T10:00:00Z',
      sequence: '3',
      policyName: 'reports-read',
      path: '/teams/analytics/',
    });
  });
});

describe('validateEvent: a delete that waits until its policy is unused', () => {
  const waitingExample = readFileSync(
    path.join(__dirname, '../../contract/examples/deferred-delete.ndjson'),
    'utf8',
  )
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

  function deletion(data: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      specversion: '1.0',
      id: 'evt-2',
      source: 'urn:test',
      type: 'iam.policy.delete',
      data: { policyName: 'reports-read', ...data },
    };
  }

  it('the example is valid and carries the wait, its maximum in ms', () => {
    expect(waitingExample.map((event) => validateEvent(event).ok)).toEqual([true, true]);
    expect(accepted(validateEvent(waitingExample[1]))).toMatchObject({
      type: 'iam.policy.delete',
      waitUntilUnused: true,
      maxWaitMs: 86_400_000,
    });
  });

  it('waitUntilUnused may be false, and the maximum absent', () => {
    expect(accepted(validateEvent(deletion({ waitUntilUnused: false }))).waitUntilUnused).toBe(false);
    const event = accepted(validateEvent(deletion({ waitUntilUnused: true })));
    expect(event.waitUntilUnused).toBe(true);
    expect(event.maxWaitMs).toBeUndefined();
  });

  it.each([
    [{ waitUntilUnused: 'yes' }, 'data.waitUntilUnused must be true or false'],
    [{ waitUntilUnused: true, maxWaitSeconds: 0 }, 'data.maxWaitSeconds must be >= 1'],
    [{ waitUntilUnused: true, maxWaitSeconds: 31_536_001 }, 'data.maxWaitSeconds must be <= 31536000'],
    [{ waitUntilUnused: true, maxWaitSeconds: 1.5 }, 'data.maxWaitSeconds must be an integer'],
    [{ waitUntilUnused: true, maxWaitSeconds: '60' }, 'data.maxWaitSeconds must be an integer'],
    [{ maxWaitSeconds: 60 }, 'data.maxWaitSeconds needs data.waitUntilUnused: true (it bounds that wait)'],
    [
      { waitUntilUnused: false, maxWaitSeconds: 60 },
      'data.maxWaitSeconds needs data.waitUntilUnused: true (it bounds that wait)',
    ],
  ])('refuses %j: %s', (data, message) => {
    expect(reason(validateEvent(deletion(data)))).toBe(message);
  });

  it('refuses the fields on an upsert, which has nothing to wait for', () => {
    expect(reason(validateEvent(upsert({}, { waitUntilUnused: true, maxWaitSeconds: 60 })))).toBe(
      'data.waitUntilUnused is only for iam.policy.delete events; ' +
        'data.maxWaitSeconds is only for iam.policy.delete events',
    );
  });
});

describe('validateEvent: defaults and forms', () => {
  it("defaults path to '/'", () => {
    expect(accepted(validateEvent(upsert())).path).toBe('/');
  });

  it('accepts sequence as a number and as a string, canonical either way', () => {
    expect(accepted(validateEvent(upsert({ sequence: 42 }))).sequence).toBe('42');
    expect(accepted(validateEvent(upsert({ sequence: '0042' }))).sequence).toBe('42');
    expect(accepted(validateEvent(upsert({ sequence: '9999999999999999999' }))).sequence).toBe(
      '9999999999999999999',
    );
  });

  it('rejects sequences of more than 19 digits, negative ones and unsafe JSON numbers', () => {
    const expected = 'sequence must be a non-negative integer or a string of 1 to 19 decimal digits';
    expect(reason(validateEvent(upsert({ sequence: '12345678901234567890' })))).toBe(expected);
    expect(reason(validateEvent(upsert({ sequence: -1 })))).toBe(expected);
    expect(reason(validateEvent(upsert({ sequence: 1.5 })))).toBe(expected);
    expect(reason(validateEvent(upsert({ sequence: 2 ** 60 })))).toBe(
      `sequence ${2 ** 60} is too large for a JSON number; send it as a string`,
    );
  });

  it('parses a document given as a JSON string', () => {
    const event = accepted(validateEvent(upsert({}, { document: JSON.stringify(document, null, 2) })));
    expect(event.document).toEqual(document);
  });

  it('rejects a document string that is not JSON or not an object', () => {
    expect(reason(validateEvent(upsert({}, { document: '{"Version":' })))).toMatch(
      /^data\.document is a string but not valid JSON: /,
    );
    expect(reason(validateEvent(upsert({}, { document: '[1, 2]' })))).toBe(
      'data.document is a string but does not hold a JSON object',
    );
  });

  it('rejects an invalid policy document with the document rules', () => {
    const bad = { ...document, Statement: [{ ...document.Statement[0], Effect: 'allow' }] };
    expect(reason(validateEvent(upsert({}, { document: bad })))).toBe(
      'invalid policy document: Statement[0].Effect must be "Allow" or "Deny", got "allow"',
    );
  });

  it('ignores a document carried by a delete', () => {
    const event = accepted(
      validateEvent(
        upsert({ type: 'iam.policy.delete' }, { document: '{"not": "a policy"}', tags: { a: 'b' } }),
      ),
    );
    expect(event.document).toBeUndefined();
    expect(event.tags).toEqual({ a: 'b' });
  });

  it('accepts a delete without a document', () => {
    expect(validateEvent({ ...upsert({ type: 'iam.policy.delete' }), data: { policyName: 'x' } }).ok).toBe(
      true,
    );
  });
});

describe('validateEvent: schema violations give readable reasons', () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      'bad policy name',
      upsert({}, { policyName: 'reports read' }),
      'data.policyName must match ^[A-Za-z0-9+=,.@_-]+$',
    ],
    [
      'unknown type',
      upsert({ type: 'iam.policy.create' }),
      'type must be one of iam.policy.upsert, iam.policy.delete',
    ],
    ['wrong specversion', upsert({ specversion: '0.3' }), 'specversion must be "1.0"'],
    ['upsert without document', upsert({}, { document: undefined }), 'missing required field data.document'],
    ['empty id', upsert({ id: '' }), 'id must not be empty'],
    ['long source', upsert({ source: 's'.repeat(513) }), 'source must be at most 512 characters long'],
    [
      'bad time',
      upsert({ time: '28/11/2026' }),
      'time must be an RFC 3339 date-time with a time zone, e.g. 2026-11-28T09:00:00Z',
    ],
    [
      'time without zone',
      upsert({ time: '2026-11-28T09:00:00' }),
      'time must be an RFC 3339 date-time with a time zone, e.g. 2026-11-28T09:00:00Z',
    ],
    [
      'wrong content type',
      upsert({ datacontenttype: 'text/plain' }),
      'datacontenttype must be "application/json"',
    ],
    ['unknown data field', upsert({}, { owner: 'x' }), 'unknown field data.owner'],
    [
      'document of the wrong type',
      upsert({}, { document: 5 }),
      'data.document must be a JSON object or a string holding one',
    ],
    ['bad path', upsert({}, { path: 'teams' }), 'data.path must match ^(/|/[\\x21-\\x7E]+/)$'],
    ['non-string tag value', upsert({}, { tags: { team: 5 } }), 'data.tags.team must be a string'],
    ['empty tag key', upsert({}, { tags: { '': 'x' } }), 'data.tags key "" must not be empty'],
    ['data not an object', upsert({ data: 'reports-read' }), 'data must be a JSON object'],
  ])('%s', (_name, event, expected) => {
    expect(reason(validateEvent(event))).toBe(expected);
  });

  it('lists every missing field once', () => {
    expect(reason(validateEvent({ specversion: '1.0' }))).toBe(
      'missing required field id; missing required field source; missing required field type; missing required field data',
    );
  });

  it('reports several problems together, without duplicates', () => {
    expect(reason(validateEvent(upsert({ type: 'x' }, { policyName: '' })))).toBe(
      'type must be one of iam.policy.upsert, iam.policy.delete; data.policyName must not be empty; data.policyName must match ^[A-Za-z0-9+=,.@_-]+$',
    );
  });

  it('rejects input that is not an object', () => {
    for (const raw of [null, 'event', 1, []]) {
      expect(validateEvent(raw)).toEqual({ ok: false, reason: 'event must be a JSON object' });
    }
  });

  it('keeps source, id and policyName so a rejection can be reported against its event', () => {
    expect(validateEvent(upsert({ type: 'x' }))).toEqual({
      ok: false,
      reason: 'type must be one of iam.policy.upsert, iam.policy.delete',
      source: 'urn:test',
      id: 'evt-1',
      policyName: 'reports-read',
    });
    const result = validateEvent({ id: 7, source: 'urn:test' });
    expect(result).toMatchObject({ ok: false, source: 'urn:test' });
    expect(result).not.toHaveProperty('id');
  });
});

describe('validateEvent: rules beyond the schema', () => {
  it('requires subject, when present, to equal data.policyName', () => {
    expect(validateEvent(upsert({ subject: 'reports-read' })).ok).toBe(true);
    expect(reason(validateEvent(upsert({ subject: 'Reports-Read' })))).toBe(
      'subject "Reports-Read" must equal data.policyName "reports-read"',
    );
  });

  it('accepts only characters IAM accepts in a description', () => {
    expect(validateEvent(upsert({}, { description: 'Café\tÿ' })).ok).toBe(true);
    expect(reason(validateEvent(upsert({}, { description: 'a\u0080b' })))).toBe(
      'data.description contains U+0080, which IAM does not accept in a description',
    );
    expect(reason(validateEvent(upsert({}, { description: 'Berichte 報告' })))).toBe(
      'data.description contains U+5831, which IAM does not accept in a description',
    );
  });

  it("checks tag keys and values against IAM's alphabet", () => {
    expect(validateEvent(upsert({}, { tags: { 'cost center': 'Zürich 1', 'a_.:/=+-@': '' } })).ok).toBe(true);
    expect(reason(validateEvent(upsert({}, { tags: { 'team*': 'x', team: 'a;b' } })))).toBe(
      'data.tags key "team*" may contain only letters, digits, white space and _ . : / = + - @; ' +
        'data.tags["team"] value may contain only letters, digits, white space and _ . : / = + - @',
    );
  });

  it('refuses tag keys starting with aws:, in any case', () => {
    expect(reason(validateEvent(upsert({}, { tags: { 'AWS:team': 'x' } })))).toBe(
      'data.tags key "AWS:team" must not start with "aws:" (reserved by AWS)',
    );
  });

  it('refuses the reserved managed-by tag, in any case', () => {
    const options = { reservedTagKeys: ['managed-by'] };
    expect(validateEvent(upsert({}, { tags: { team: 'x' } }), options).ok).toBe(true);
    expect(reason(validateEvent(upsert({}, { tags: { 'Managed-By': 'me' } }), options))).toBe(
      'data.tags key "Managed-By" is reserved: this service sets it itself',
    );
  });

  it('refuses tag keys that differ only in case', () => {
    expect(reason(validateEvent(upsert({}, { tags: { team: 'a', Team: 'b' } })))).toBe(
      'data.tags key "Team" differs from "team" only in case; IAM treats them as one key',
    );
  });

  it("leaves room for the managed-by tag and 5 audit tags within IAM's 50", () => {
    const tagsOf = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']));
    const options = { reservedTagKeys: ['managed-by'] };
    expect(validateEvent(upsert({}, { tags: tagsOf(44) }), options).ok).toBe(true);
    const budget =
      'IAM allows 50 tags per policy, and the service keeps its managed-by tag and one audit tag per version (iam-policy-events:v1 ..., up to 5)';
    expect(reason(validateEvent(upsert({}, { tags: tagsOf(45) }), options))).toBe(
      `data.tags must have at most 44 entries: ${budget}`,
    );
    // More reserved keys than the managed-by tag leave fewer for the event.
    const twoReserved = { reservedTagKeys: ['managed-by', 'owner'] };
    expect(reason(validateEvent(upsert({}, { tags: tagsOf(44) }), twoReserved))).toBe(
      `data.tags has 44 tags, at most 43 are allowed: ${budget}`,
    );
  });

  it('refuses tag keys of the audit record, in any case', () => {
    expect(reason(validateEvent(upsert({}, { tags: { 'IAM-Policy-Events:v3': 'x', team: 'y' } })))).toBe(
      'data.tags key "IAM-Policy-Events:v3" is reserved: keys starting with "iam-policy-events:" are the service\'s audit record',
    );
  });
});
