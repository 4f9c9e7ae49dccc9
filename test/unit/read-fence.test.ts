import type { ObservedPolicy, PolicyObservation } from '../../src/domain/decide';
import { DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import {
  DEFAULT_CONSISTENCY_WAIT_MS,
  documentHash,
  fenceAfterFailure,
  fenceAfterWrite,
  fenceVerdict,
  staleness,
  type ReadFence,
} from '../../src/domain/read-fence';
import type { PolicyDocument } from '../../src/domain/types';

const doc = (action: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: [action], Resource: '*' }],
});
const guards = DEFAULT_POLICY_GUARDS;
const absent: PolicyObservation = { exists: false, guards };
function present(overrides: Partial<ObservedPolicy> = {}): PolicyObservation {
  return {
    exists: true,
    guards,
    policy: {
      arn: 'arn:aws:iam::123456789012:policy/p',
      name: 'p',
      path: '/',
      defaultVersionId: 'v2',
      document: doc('s3:B'),
      tags: { team: 'a' },
      owned: true,
      ...overrides,
    },
  };
}
const fence: ReadFence = {
  exists: true,
  defaultVersionId: 'v2',
  documentHash: documentHash(doc('s3:B')),
  tags: { team: 'a' },
  writtenAt: 1_000,
};

describe('documentHash', () => {
  test('the same for documents that mean the same policy, different otherwise', () => {
    const reformatted = {
      Statement: { Resource: '*', Action: 's3:B', Effect: 'Allow' },
      Version: '2012-10-17',
    };
    expect(documentHash(reformatted)).toBe(documentHash(doc('s3:B')));
    expect(documentHash(doc('s3:C'))).not.toBe(documentHash(doc('s3:B')));
    expect(documentHash(doc('s3:B'))).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('staleness', () => {
  test('an observation showing the fenced write, or anything newer, is fresh', () => {
    expect(staleness(fence, present())).toBeUndefined();
    expect(
      staleness(fence, present({ defaultVersionId: 'v3', document: doc('s3:X'), tags: {} })),
    ).toBeUndefined();
    expect(staleness(fence, present({ tags: { Team: 'a' } }))).toBeUndefined();
  });

  test('absent after this workflow created it; an older default; another document or tags in the same version', () => {
    expect(staleness(fence, absent)).toMatch(/does not show the policy this workflow created/);
    expect(staleness(fence, present({ defaultVersionId: 'v1', document: doc('s3:A') }))).toMatch(
      /default version v1, older than v2/,
    );
    expect(staleness(fence, present({ document: doc('s3:A') }))).toMatch(/another document/);
    expect(staleness(fence, present({ tags: {} }))).toMatch(/other tags/);
  });

  test("after a delete: an owned policy still showing is stale; absent, or someone else's, is not", () => {
    const deleted: ReadFence = { exists: false, writtenAt: 1_000 };
    expect(staleness(deleted, present())).toMatch(/still shows the policy this workflow deleted/);
    expect(staleness(deleted, absent)).toBeUndefined();
    expect(staleness(deleted, present({ owned: false }))).toBeUndefined();
  });

  test('a delete observation (no document read) is judged by version and tags', () => {
    expect(staleness(fence, present({ document: undefined }))).toBeUndefined();
    expect(staleness(fence, present({ document: undefined, defaultVersionId: 'v1' }))).toMatch(/older/);
  });
});

describe('fenceVerdict', () => {
  const bound = 10_000;
  test('no fence, or a fresh observation: decide', () => {
    expect(fenceVerdict(undefined, absent, 2_000, bound, 0)).toEqual({ kind: 'decide' });
    expect(fenceVerdict(fence, present(), 2_000, bound, 0)).toEqual({ kind: 'decide' });
  });

  test('stale within the bound: wait with a doubling backoff that never passes the bound', () => {
    expect(fenceVerdict(fence, absent, 2_000, bound, 0)).toMatchObject({ kind: 'wait', ms: 1_000 });
    expect(fenceVerdict(fence, absent, 2_000, bound, 2)).toMatchObject({ kind: 'wait', ms: 4_000 });
    expect(fenceVerdict(fence, absent, 2_000, bound, 9)).toMatchObject({ kind: 'wait', ms: 9_000 });
    expect(fenceVerdict(fence, absent, 10_500, bound, 3)).toMatchObject({ kind: 'wait', ms: 500 });
  });

  test("still stale when the bound passed after waiting: give up with a reason; first seen past it: someone else's change, decide", () => {
    const verdict = fenceVerdict(fence, absent, 11_000, bound, 4);
    expect(verdict).toMatchObject({ kind: 'give-up' });
    expect(verdict.kind === 'give-up' && verdict.reason).toMatch(
      /does not show the policy this workflow created, still 10 s after that write .* resubmit/,
    );
    expect(fenceVerdict(fence, absent, 11_000, bound, 0)).toEqual({ kind: 'decide' });
  });

  test("the default bound is about Terraform's two minutes", () => {
    expect(DEFAULT_CONSISTENCY_WAIT_MS).toBe(120_000);
  });
});

describe('fenceAfterWrite', () => {
  test('create: exists with its version, document and tags; delete: gone', () => {
    const created = fenceAfterWrite(
      undefined,
      { kind: 'create', policyName: 'p', path: '/', document: doc('s3:A'), tags: { team: 'a' } },
      absent,
      { outcome: 'created', versionId: 'v1' },
      5,
    );
    expect(created).toEqual({
      exists: true,
      defaultVersionId: 'v1',
      documentHash: documentHash(doc('s3:A')),
      tags: { team: 'a' },
      writtenAt: 5,
    });
    expect(
      fenceAfterWrite(created, { kind: 'delete', policyArn: 'a' }, present(), { outcome: 'deleted' }, 9),
    ).toEqual({ exists: false, writtenAt: 9 });
  });

  test("update: the new version and document; tags as observed with the plan's changes", () => {
    const after = fenceAfterWrite(
      undefined,
      {
        kind: 'update',
        policyArn: 'a',
        observedDefaultVersionId: 'v2',
        document: doc('s3:C'),
        tagsToSet: { env: 'prod' },
        tagKeysToRemove: ['team'],
      },
      present(),
      { outcome: 'updated', versionId: 'v3' },
      7,
    );
    expect(after).toEqual({
      exists: true,
      defaultVersionId: 'v3',
      documentHash: documentHash(doc('s3:C')),
      tags: { env: 'prod' },
      writtenAt: 7,
    });
  });

  test('an outcome that wrote nothing keeps the fence; the fence is plain JSON', () => {
    const kept = fenceAfterWrite(
      fence,
      { kind: 'delete', policyArn: 'a' },
      present(),
      { outcome: 'retained-in-use' },
      9,
    );
    expect(kept).toBe(fence);
    expect(JSON.parse(JSON.stringify(fence))).toEqual(fence);
  });
});

describe('after a failed write: the fence keeps what the write cannot have changed', () => {
  const update = {
    kind: 'update' as const,
    policyArn: 'a',
    observedDefaultVersionId: 'v2',
    document: doc('s3:C'),
    tagsToSet: { team: 'b' },
    tagKeysToRemove: [],
  };

  test('an update: the default version and its document stay a lower bound, the tags are unknown', () => {
    const after = fenceAfterFailure({ ...fence, createdAt: 3 }, update);
    expect(after).toEqual({
      exists: true,
      defaultVersionId: 'v2',
      documentHash: documentHash(doc('s3:B')),
      writtenAt: 1_000,
      createdAt: 3,
    });
    // Half done: other tags, or a newer version, are what it may have written; an older version is lag.
    expect(staleness(after!, present({ tags: { team: 'b' } }))).toBeUndefined();
    expect(staleness(after!, present({ defaultVersionId: 'v3', document: doc('s3:C') }))).toBeUndefined();
    expect(staleness(after!, present({ defaultVersionId: 'v1', document: doc('s3:A') }))).toMatch(/older/);
    expect(staleness(after!, absent)).toMatch(/does not show/);
  });

  test('a create or a delete leaves the fence as it was; no fence stays none', () => {
    const deleted: ReadFence = { exists: false, writtenAt: 1_000, createdAt: 500 };
    const create = { kind: 'create' as const, policyName: 'p', path: '/', document: doc('s3:A'), tags: {} };
    expect(fenceAfterFailure(deleted, create)).toBe(deleted);
    expect(fenceAfterFailure(fence, { kind: 'delete', policyArn: 'a' })).toBe(fence);
    expect(fenceAfterFailure(undefined, update)).toBeUndefined();
  });
});
