import {
  decide,
  decideWithoutObserving,
  diffTags,
  observationInput,
  type ObservedPolicy,
  type PolicyObservation,
  type PolicyUsage,
} from '../../src/domain/decide';
import { DEFAULT_POLICY_GUARDS, type PolicyGuards } from '../../src/domain/guardrails';
import type { PolicyDocument, PolicyEvent } from '../../src/domain/types';
import { deletionOf, upsertOf } from '../helpers/domain-events';

const document: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }],
};

const upsert = (overrides: Partial<PolicyEvent> = {}): PolicyEvent => upsertOf(document, overrides);
const deletion = deletionOf;

const guards: PolicyGuards = DEFAULT_POLICY_GUARDS;

function present(overrides: Partial<ObservedPolicy> = {}, usage?: PolicyUsage): PolicyObservation {
  return {
    exists: true,
    guards,
    ...(usage ? { usage } : {}),
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

const absent: PolicyObservation = { exists: false, guards };

describe('decide: upsert', () => {
  test('absent policy is created with the event path, description and tags', () => {
    const plan = decide(upsert({ path: '/teams/', description: 'd', tags: { team: 'a' } }), absent);
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
    const plan = decide(upsert(), absent);
    expect(plan).toMatchObject({ kind: 'create', tags: {} });
    expect(plan).not.toHaveProperty('description');
  });

  test('an empty path defaults to /', () => {
    expect(decide(upsert({ path: '' }), absent)).toMatchObject({ kind: 'create', path: '/' });
  });

  test('same document, reordered and reformatted, is unchanged', () => {
    const reordered: PolicyDocument = {
      Statement: [{ Resource: ['*'], Action: ['s3:ListBucket', 's3:GetObject'], Effect: 'Allow' }],
      Version: '2012-10-17',
    };
    expect(decide(upsert({ document: reordered }), present())).toEqual({
      kind: 'none',
      outcome: 'unchanged',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      versionId: 'v3',
    });
  });

  test('other document is an update carrying the document and the observed default version', () => {
    const other = { ...document, Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] };
    expect(decide(upsert({ document: other }), present())).toEqual({
      kind: 'update',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      observedDefaultVersionId: 'v3',
      document: other,
      tagsToSet: {},
      tagKeysToRemove: [],
    });
  });

  test('an observation without a document cannot prove equality: the document is written', () => {
    const plan = decide(upsert(), present({ document: undefined }));
    expect(plan).toMatchObject({ kind: 'update', document });
  });

  test('absent event tags leave the policy tags alone', () => {
    expect(decide(upsert(), present({ tags: { team: 'a' } }))).toMatchObject({ outcome: 'unchanged' });
  });

  test('equal tags are unchanged', () => {
    const plan = decide(
      upsert({ tags: { team: 'a', env: 'prod' } }),
      present({ tags: { env: 'prod', team: 'a' } }),
    );
    expect(plan).toMatchObject({ kind: 'none', outcome: 'unchanged' });
  });

  test('changed tags are an update without a document: set changed and added, remove the missing', () => {
    const plan = decide(
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
    expect(decide(upsert({ tags: {} }), present({ tags: { team: 'a' } }))).toMatchObject({
      kind: 'update',
      tagsToSet: {},
      tagKeysToRemove: ['team'],
    });
  });

  test('not owned is rejected and left untouched', () => {
    const plan = decide(upsert(), present({ owned: false }));
    expect(plan).toEqual({
      kind: 'none',
      outcome: 'rejected',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      reason: 'policy Team-A is not managed by this service (no managed-by tag); it is left untouched',
    });
  });

  test('other path is rejected, naming both paths', () => {
    const plan = decide(upsert({ path: '/teams/' }), present({ path: '/other/' }));
    expect(plan).toMatchObject({ kind: 'none', outcome: 'rejected' });
    if (plan.kind !== 'none') throw new Error('expected no write');
    expect(plan.reason).toContain('/other/');
    expect(plan.reason).toContain('/teams/');
    expect(plan.reason).toContain('cannot move');
  });

  test('a name differing only in case is the same policy, with a note', () => {
    const plan = decide(upsert({ policyName: 'team-a' }), present());
    expect(plan).toMatchObject({ kind: 'none', outcome: 'unchanged' });
    if (plan.kind !== 'none') throw new Error('expected no write');
    expect(plan.notes).toEqual([expect.stringContaining('"Team-A"')]);
  });

  test('a different description is a note on unchanged, never a write', () => {
    const plan = decide(upsert({ description: 'new' }), present({ description: 'old' }));
    expect(plan).toMatchObject({ kind: 'none', outcome: 'unchanged' });
    if (plan.kind !== 'none') throw new Error('expected no write');
    expect(plan.notes).toEqual([
      'description differs (policy: "old", event: "new"): IAM policy descriptions are immutable; it was not changed',
    ]);
  });

  test('a different description is a note on update too', () => {
    const plan = decide(upsert({ description: 'new', tags: { a: 'b' } }), present());
    expect(plan).toMatchObject({ kind: 'update', notes: [expect.stringContaining('immutable')] });
  });

  test('the same description, or none in the event, adds no note', () => {
    expect(decide(upsert({ description: 'same' }), present({ description: 'same' }))).not.toHaveProperty(
      'notes',
    );
    expect(decide(upsert(), present({ description: 'old' }))).not.toHaveProperty('notes');
  });

  test('an upsert without a document is rejected', () => {
    expect(decide(upsert({ document: undefined }), absent)).toEqual({
      kind: 'none',
      outcome: 'rejected',
      reason: 'invalid policy document: the upsert has no document',
    });
  });
});

describe('decide: documents IAM would refuse', () => {
  const principal: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Principal: '*' }],
  };

  test('are rejected whatever IAM holds, naming the problem', () => {
    for (const observation of [absent, present(), present({ owned: false })]) {
      expect(decide(upsert({ document: principal }), observation)).toEqual({
        kind: 'none',
        outcome: 'rejected',
        reason: expect.stringMatching(/^invalid policy document: Statement\[0\]\.Principal is not allowed/),
      });
    }
  });

  test('are known without observing; a valid upsert or a delete needs the observation', () => {
    expect(decideWithoutObserving(upsert({ document: principal }))).toEqual(
      decide(upsert({ document: principal }), absent),
    );
    expect(decideWithoutObserving(upsert())).toBeUndefined();
    expect(decideWithoutObserving(deletion())).toBeUndefined();
  });
});

describe('decide: guardrails', () => {
  const escalation: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }],
  };

  test('a create of a forbidden document is rejected with the violations', () => {
    expect(decide(upsert({ document: escalation }), absent)).toEqual({
      kind: 'none',
      outcome: 'rejected',
      reason: expect.stringMatching(/^refused by a guardrail: guardrail no-pass-any-role: Statement\[0\]/),
      violations: [expect.objectContaining({ rule: 'no-pass-any-role', statement: 'Statement[0]' })],
    });
  });

  test('an update to a forbidden document is rejected', () => {
    expect(decide(upsert({ document: escalation }), present())).toMatchObject({
      kind: 'none',
      outcome: 'rejected',
      violations: [expect.objectContaining({ rule: 'no-pass-any-role' })],
    });
  });

  test("the worker's rules decide: without the rule the document is written", () => {
    const lenient: PolicyGuards = {
      ...guards,
      guardrails: { rules: guards.guardrails.rules.filter((rule) => rule.name !== 'no-pass-any-role') },
    };
    expect(decide(upsert({ document: escalation }), { exists: false, guards: lenient })).toMatchObject({
      kind: 'create',
      document: escalation,
    });
  });

  test('only a document being written is checked: one IAM already holds is unchanged, a tag change goes ahead', () => {
    const holding = present({ document: escalation });
    expect(decide(upsert({ document: escalation }), holding)).toMatchObject({
      kind: 'none',
      outcome: 'unchanged',
    });
    expect(decide(upsert({ document: escalation, tags: { team: 'a' } }), holding)).toMatchObject({
      kind: 'update',
      tagsToSet: { team: 'a' },
    });
  });

  test('a refusal to touch the policy comes before the guardrails', () => {
    expect(decide(upsert({ document: escalation }), present({ owned: false }))).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining('not managed by this service'),
    });
  });
});

describe('decide: delete', () => {
  test('absent policy is absent', () => {
    expect(decide(deletion(), absent)).toEqual({ kind: 'none', outcome: 'absent' });
  });

  test('owned, unused policy at the same path is deleted, carrying when it was found unused', () => {
    expect(decide(deletion(), present({}, { entities: [], listedAt: 1_700_000_000_000 }))).toEqual({
      kind: 'delete',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      unusedSince: 1_700_000_000_000,
    });
  });

  test('without a listing of its users the delete is planned, for the carry-out to ask IAM', () => {
    expect(decide(deletion(), present())).toEqual({
      kind: 'delete',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
    });
  });

  test('a policy in use is retained, with the entities, attachments and boundaries alike', () => {
    const entities = [
      { kind: 'role', name: 'reader', usage: 'permissions-policy' },
      { kind: 'user', name: 'bounded', usage: 'permissions-boundary' },
    ] as const;
    expect(decide(deletion(), present({}, { entities: [...entities], listedAt: 1 }))).toEqual({
      kind: 'none',
      outcome: 'retained-in-use',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      entities,
    });
  });

  test('a delete that waits until unused: in use, delete-pending with the entities; unused, deleted as any delete', () => {
    const entities = [{ kind: 'role', name: 'reader', usage: 'permissions-policy' }] as const;
    const wait = { waitUntilUnused: true };
    expect(decide(deletion(), present({}, { entities: [...entities], listedAt: 1 }), wait)).toEqual({
      kind: 'none',
      outcome: 'delete-pending',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      entities,
    });
    expect(decide(deletion(), present({}, { entities: [], listedAt: 7 }), wait)).toEqual({
      kind: 'delete',
      policyArn: 'arn:aws:iam::123456789012:policy/Team-A',
      unusedSince: 7,
    });
    expect(decide(deletion(), absent, wait)).toEqual({ kind: 'none', outcome: 'absent' });
    const usage: PolicyUsage = { entities: [...entities], listedAt: 1 };
    expect(decide(deletion(), present({ owned: false }, usage), wait)).toMatchObject({ outcome: 'rejected' });
    expect(decide(deletion(), present({}, usage), { waitUntilUnused: false })).toMatchObject({
      outcome: 'retained-in-use',
    });
  });

  test('a policy not owned is rejected even when in use', () => {
    const usage: PolicyUsage = {
      entities: [{ kind: 'group', name: 'g', usage: 'permissions-policy' }],
      listedAt: 1,
    };
    expect(decide(deletion(), present({ owned: false }, usage))).toMatchObject({ outcome: 'rejected' });
  });

  test('a name differing only in case deletes the same policy', () => {
    expect(decide(deletion({ policyName: 'TEAM-A' }), present())).toMatchObject({ kind: 'delete' });
  });

  test('not owned is rejected', () => {
    expect(decide(deletion(), present({ owned: false }))).toMatchObject({
      kind: 'none',
      outcome: 'rejected',
      reason: expect.stringContaining('not managed by this service') as unknown,
    });
  });

  test('other path is rejected', () => {
    expect(decide(deletion({ path: '/a/' }), present())).toMatchObject({
      kind: 'none',
      outcome: 'rejected',
    });
  });
});

describe('observationInput', () => {
  test('an upsert reads the document, a delete lists the entities; the path defaults to /', () => {
    expect(observationInput(upsert({ path: '' }))).toEqual({
      policyName: 'Team-A',
      path: '/',
      readDocument: true,
      listEntities: false,
      compareWith: { document },
    });
    expect(observationInput(deletion({ path: '/teams/' }))).toEqual({
      policyName: 'Team-A',
      path: '/teams/',
      readDocument: false,
      listEntities: true,
      compareWith: {},
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
