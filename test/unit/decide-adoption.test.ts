// decide with adoption of unmanaged policies (IAM_ADOPT_UNMANAGED): upserts only, recorded in notes.
import { decide, type ObservedPolicy, type PolicyObservation } from '../../src/domain/decide';
import { DEFAULT_GUARDRAILS } from '../../src/domain/guardrails';
import type { PolicyDocument, PolicyEvent } from '../../src/domain/types';

const document: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};

const event = (type: PolicyEvent['type'], overrides: Partial<PolicyEvent> = {}): PolicyEvent => ({
  source: 'test',
  id: '1',
  type,
  policyName: 'Legacy',
  path: '/',
  ...(type === 'iam.policy.upsert' ? { document } : {}),
  ...overrides,
});

/** An unmanaged policy as observed by a worker that adopts such policies, or (the default) does not. */
function unmanaged(overrides: Partial<ObservedPolicy> = {}, adoptUnmanaged = false): PolicyObservation {
  return {
    exists: true,
    guards: { guardrails: DEFAULT_GUARDRAILS, adoptUnmanaged },
    policy: {
      arn: 'arn:aws:iam::123456789012:policy/Legacy',
      name: 'Legacy',
      path: '/',
      defaultVersionId: 'v2',
      document,
      tags: { owner: 'someone' },
      owned: false,
      ...overrides,
    },
  };
}

test('without adoption an unmanaged policy is rejected', () => {
  expect(decide(event('iam.policy.upsert'), unmanaged())).toMatchObject({
    kind: 'none',
    outcome: 'rejected',
    reason: expect.stringContaining('not managed by this service') as unknown,
  });
});

test('an adoptable policy is adopted by an upsert even when nothing else changes', () => {
  expect(decide(event('iam.policy.upsert'), unmanaged({}, true))).toEqual({
    kind: 'update',
    policyArn: 'arn:aws:iam::123456789012:policy/Legacy',
    observedDefaultVersionId: 'v2',
    tagsToSet: {},
    tagKeysToRemove: [],
    adopt: true,
    notes: [expect.stringContaining('had no managed-by tag and was adopted')],
  });
});

test('adoption keeps the other rules: content and tags are planned, another path is refused', () => {
  const other: PolicyDocument = {
    ...document,
    Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
  };
  expect(
    decide(event('iam.policy.upsert', { document: other, tags: { team: 'a' } }), unmanaged({}, true)),
  ).toMatchObject({
    kind: 'update',
    adopt: true,
    document: other,
    tagsToSet: { team: 'a' },
    tagKeysToRemove: ['owner'],
  });
  expect(decide(event('iam.policy.upsert', { path: '/x/' }), unmanaged({}, true))).toMatchObject({
    kind: 'none',
    outcome: 'rejected',
    reason: expect.stringContaining('path /x/') as unknown,
  });
});

test('a delete never adopts', () => {
  expect(decide(event('iam.policy.delete'), unmanaged({}, true))).toMatchObject({
    kind: 'none',
    outcome: 'rejected',
  });
});

test('an owned policy is never marked for adoption', () => {
  const plan = decide(
    event('iam.policy.upsert', { tags: { team: 'b' } }),
    unmanaged({ owned: true, tags: {} }),
  );
  expect(plan).toMatchObject({ kind: 'update' });
  expect(plan).not.toHaveProperty('adopt');
});
