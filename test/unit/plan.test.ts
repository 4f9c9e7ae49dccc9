import { diffTags, planEvent, type ObservedPolicy, type PolicyObservation } from '../../src/domain/plan';
import type { PolicyDocument, PolicyEvent } from '../../src/domain/types';

const document: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }],
};

function upsert(overrides: Partial<PolicyEvent> = {}): PolicyEvent {
  return {
    source: 'test',
    id: '1',
    type: 'iam.policy.upsert',
    policyName: 'Team-A',
    path: '/',
    document,
    ...overrides,
  };
}

function deletion(overrides: Partial<PolicyEvent> = {}): PolicyEvent {
  return {
    source: 'test',
    id: '2',
    type: 'iam.policy.delete',
    policyName: 'Team-A',
    path: '/',
    ...overrides,
  };
}

function present(overrides: Partial<ObservedPolicy> = {}): PolicyObservation {
  return {
    exists: true,
    policy: {
      arn: 'arn:aws:iam::123456789012:policy/Team-A',
      name: 'Team-A',
      path: '/',
      defaultVersionId: 'v3',
      document,
      tags: {},
      owned: true,
      ...overrides,
    },
  };
}

const absent: PolicyObservation = { exists: false };

describe('planEvent: upsert', () => {
  test('absent policy is created with the event path, description and tags', () => {
    const plan = planEvent(upsert({ path: '/teams/', description: 'd', tags: { team: 'a' } }), absent);
    expect(plan).toEqual({
      kind: 'create',
      policyName: 'Team-A',
      path: '/teams/',
      document,
      description: 'd',
      tags: { team: 'a' },
    });
  });

  test('absent policy without tags is created with no tags (the activity adds managed-by)', () => {
    const plan = planEvent(upsert(), absent);
    expect(plan).toMatchObject({ kind: 'create', tags: {} });
    expect(plan).not.toHaveProperty('description');
  });

  test('an empty path defaults to /', () => {
    expect(planEvent(upsert({ path: '' }), absent)).toMatchObject({ kind: 'create', path: '/' });
  });

  test('same document, reordered and reformatted, is unchanged', () => {
    const reordered: PolicyDocument = {
      Statement: [{ Resource: ['*'], Action: ['s3:ListBucket', 's3:GetObject'], Effect: 'Allow' }],
      Version: '2012-10-17',
    };
    expect(planEvent(upsert({ document: reordered }), present())).toEqual({
      kind: 'none',
      outcome: 'unchanged',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      versionId: 'v3',
    });
  });

  test('other document is an update carrying the document and the observed default version', () => {
    const other = { ...document, Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] };
    expect(planEvent(upsert({ document: other }), present())).toEqual({
      kind: 'update',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      observedDefaultVersionId: 'v3',
      document: other,
      tagsToSet: {},
      tagKeysToRemove: [],
    });
  });

  test('an observation without a document cannot prove equality: the document is written', () => {
    const plan = planEvent(upsert(), present({ document: undefined }));
    expect(plan).toMatchObject({ kind: 'update', document });
  });

  test('absent event tags leave the policy tags alone', () => {
    expect(planEvent(upsert(), present({ tags: { team: 'a' } }))).toMatchObject({ outcome: 'unchanged' });
  });

  test('equal tags are unchanged', () => {
    const plan = planEvent(
      upsert({ tags: { team: 'a', env: 'prod' } }),
      present({ tags: { env: 'prod', team: 'a' } }),
    );
    expect(plan).toMatchObject({ kind: 'none', outcome: 'unchanged' });
  });

  test('changed tags are an update without a document: set changed and added, remove the missing', () => {
    const plan = planEvent(
      upsert({ tags: { team: 'b', cost: '42' } }),
      present({ tags: { team: 'a', env: 'prod', owner: 'x' } }),
    );
    expect(plan).toEqual({
      kind: 'update',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      observedDefaultVersionId: 'v3',
      tagsToSet: { team: 'b', cost: '42' },
      tagKeysToRemove: ['env', 'owner'],
    });
  });

  test('empty event tags remove every tag', () => {
    expect(planEvent(upsert({ tags: {} }), present({ tags: { team: 'a' } }))).toMatchObject({
      kind: 'update',
      tagsToSet: {},
      tagKeysToRemove: ['team'],
    });
  });

  test('not owned is rejected and left untouched', () => {
    const plan = planEvent(upsert(), present({ owned: false }));
    expect(plan).toEqual({
      kind: 'none',
      outcome: 'rejected',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      reason: 'policy Team-A is not managed by this service (no managed-by tag); it is left untouched',
    });
  });

  test('other path is rejected, naming both paths', () => {
    const plan = planEvent(upsert({ path: '/teams/' }), present({ path: '/other/' }));
    expect(plan).toMatchObject({ kind: 'none', outcome: 'rejected' });
    if (plan.kind !== 'none') throw new Error('expected no write');
    expect(plan.reason).toContain('/other/');
    expect(plan.reason).toContain('/teams/');
    expect(plan.reason).toContain('cannot move');
  });

  test('a name differing only in case is the same policy, with a note', () => {
    const plan = planEvent(upsert({ policyName: 'team-a' }), present());
    expect(plan).toMatchObject({ kind: 'none', outcome: 'unchanged' });
    if (plan.kind !== 'none') throw new Error('expected no write');
    expect(plan.notes).toEqual([expect.stringContaining('"Team-A"')]);
  });

  test('a different description is a note on unchanged, never a write', () => {
    const plan = planEvent(upsert({ description: 'new' }), present({ description: 'old' }));
    expect(plan).toMatchObject({ kind: 'none', outcome: 'unchanged' });
    if (plan.kind !== 'none') throw new Error('expected no write');
    expect(plan.notes).toEqual([
      'description differs (policy: "old", event: "new"): IAM policy descriptions are immutable; it was not changed',
    ]);
  });

  test('a different description is a note on update too', () => {
    const plan = planEvent(upsert({ description: 'new', tags: { a: 'b' } }), present());
    expect(plan).toMatchObject({ kind: 'update', notes: [expect.stringContaining('immutable')] });
  });

  test('the same description, or none in the event, adds no note', () => {
    expect(planEvent(upsert({ description: 'same' }), present({ description: 'same' }))).not.toHaveProperty(
      'notes',
    );
    expect(planEvent(upsert(), present({ description: 'old' }))).not.toHaveProperty('notes');
  });

  test('an upsert without a document is rejected', () => {
    expect(planEvent(upsert({ document: undefined }), absent)).toMatchObject({
      kind: 'none',
      outcome: 'rejected',
    });
  });
});

describe('planEvent: delete', () => {
  test('absent policy is absent', () => {
    expect(planEvent(deletion(), absent)).toEqual({ kind: 'none', outcome: 'absent' });
  });

  test('owned policy at the same path is deleted', () => {
    expect(planEvent(deletion(), present())).toEqual({
      kind: 'delete',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
    });
  });

  test('a name differing only in case deletes the same policy', () => {
    expect(planEvent(deletion({ policyName: 'TEAM-A' }), present())).toMatchObject({ kind: 'delete' });
  });

  test('not owned is rejected', () => {
    expect(planEvent(deletion(), present({ owned: false }))).toMatchObject({
      kind: 'none',
      outcome: 'rejected',
      reason: expect.stringContaining('not managed by this service') as unknown,
    });
  });

  test('other path is rejected', () => {
    expect(planEvent(deletion({ path: '/a/' }), present())).toMatchObject({
      kind: 'none',
      outcome: 'rejected',
    });
  });
});

describe('diffTags', () => {
  test('keeps a key whose case changes: IAM compares tag keys ignoring case', () => {
    expect(diffTags({ Team: 'a' }, { team: 'a' })).toEqual({ tagsToSet: { team: 'a' }, tagKeysToRemove: [] });
  });

  test('nothing to do for equal tags', () => {
    expect(diffTags({ a: '1', b: '2' }, { b: '2', a: '1' })).toEqual({ tagsToSet: {}, tagKeysToRemove: [] });
  });
});
