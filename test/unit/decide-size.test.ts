// IAM's 6,144-character limit applies to what is written: measured on the serialised form the worker
// would send, and only when something would be written.
import { decide, decideWithoutObserving, type PolicyObservation } from '../../src/domain/decide';
import { documentSize } from '../../src/domain/document';
import { MAX_DOCUMENT_SIZE } from '../../src/domain/document-rules';
import { DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import type { PolicyDocument, PolicyEvent } from '../../src/domain/types';
import { validateEvent } from '../../src/sources/event-validation';

/** `count` statements, each with one action and one resource, as strings or as one-element lists. */
function statements(count: number, lists: boolean, prefix = 's3:GetObject'): PolicyDocument {
  const one = (value: string) => (lists ? [value] : value);
  return {
    Version: '2012-10-17',
    Statement: Array.from({ length: count }, (_, i) => ({
      Sid: `S${i}`,
      Effect: 'Allow',
      Action: one(`${prefix}${i}`),
      Resource: one(`arn:aws:s3:::bucket-${i}/*`),
    })),
  };
}

// The largest count whose string form fits; its list form does not.
const count = (() => {
  let n = 1;
  while (documentSize(statements(n + 1, false)) <= MAX_DOCUMENT_SIZE) n += 1;
  return n;
})();
const compact = statements(count, false);
const withLists = statements(count, true);

const event = (document: PolicyDocument): PolicyEvent => ({
  source: 'test',
  id: '1',
  type: 'iam.policy.upsert',
  policyName: 'big',
  path: '/',
  document,
});
const present = (document: PolicyDocument): PolicyObservation => ({
  exists: true,
  guards: DEFAULT_POLICY_GUARDS,
  policy: {
    arn: 'arn:aws:iam::123456789012:policy/big',
    name: 'big',
    path: '/',
    defaultVersionId: 'v1',
    document,
    tags: {},
    owned: true,
  },
});

test('the fixture: the string form fits, the same content with one-element lists does not', () => {
  expect(documentSize(compact)).toBeLessThanOrEqual(MAX_DOCUMENT_SIZE);
  expect(documentSize(withLists)).toBeGreaterThan(MAX_DOCUMENT_SIZE);
});

test('the same content written with one-element lists is unchanged, not rejected: nothing would be written', () => {
  expect(decideWithoutObserving(event(withLists))).toBeUndefined();
  expect(decide(event(withLists), present(compact))).toMatchObject({ kind: 'none', outcome: 'unchanged' });
});

test('over the limit as it would be sent, and written: rejected, for a create and for an update', () => {
  const rejected = { kind: 'none', outcome: 'rejected', reason: expect.stringMatching(/6144/) as unknown };
  expect(decide(event(withLists), { exists: false, guards: DEFAULT_POLICY_GUARDS })).toMatchObject(rejected);
  const other = statements(count, true, 's3:PutObject');
  expect(decide(event(other), present(compact))).toMatchObject(rejected);
  // Within the limit it is written.
  expect(decide(event(compact), { exists: false, guards: DEFAULT_POLICY_GUARDS })).toMatchObject({
    kind: 'create',
  });
});

test('event validation (the starter, the sources) leaves the size to the worker', () => {
  const raw = {
    specversion: '1.0',
    id: 'e1',
    source: 'urn:test',
    type: 'iam.policy.upsert',
    data: { policyName: 'big', document: withLists },
  };
  expect(validateEvent(raw)).toMatchObject({ ok: true });
});
