// planEvent with adoption of unmanaged policies (IAM_ADOPT_UNMANAGED): upserts only, recorded in notes.
import { planEvent, type ObservedPolicy, type PolicyObservation } from '../../src/domain/plan';
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

function unmanaged(overrides: Partial<ObservedPolicy> = {}): PolicyObservation {
  return {
    exists: true,
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
  expect(planEvent(event('iam.policy.upsert'), unmanaged())).toMatchObject({
    kind: 'none',
    outcome: 'rejected',
    reason: expect.stringContaining('not managed by this service') as unknown,
  });
});

test('an adoptable policy is adopted by an upsert even when nothing else changes', () => {
  expect(planEvent(event('iam.policy.upsert'), unmanaged({ adoptable: true }))).toEqual({
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
    planEvent(
      event('iam.policy.upsert', { document: other, tags: { team: 'a' } }),
      unmanaged({ adoptable: true }),
    ),
  ).toMatchObject({
    kind: 'update',
    adopt: true,
    document: other,
    tagsToSet: { team: 'a' },
    tagKeysToRemove: ['owner'],
  });
  expect(
    planEvent(event('iam.policy.upsert', { path: '/x/' }), unmanaged({ adoptable: true })),
  ).toMatchObject({
    kind: 'none',
    outcome: 'rejected',
    reason: expect.stringContaining('path /x/') as unknown,
  });
});

test('a delete never adopts', () => {
  expect(planEvent(event('iam.policy.delete'), unmanaged({ adoptable: true }))).toMatchObject({
    kind: 'none',
    outcome: 'rejected',
  });
});

test('an owned policy is never marked for adoption', () => {
  const plan = planEvent(
    event('iam.policy.upsert', { tags: { team: 'b' } }),
    unmanaged({ owned: true, tags: {} }),
  );
  expect(plan).toMatchObject({ kind: 'update' });
  expect(plan).not.toHaveProperty('adopt');
});
