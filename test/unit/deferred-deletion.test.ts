import {
  checkInterval,
  DEFAULT_DELETE_WAIT,
  deferredDeletionAfterCheck,
  deferredDeletionAfterEvent,
  deferredDeletionOutcome,
  desiredAfterDeletion,
  maxWaitOf,
  pendingIfInUse,
  waitsUntilUnused,
  type DeferredDeletion,
  type DeleteWaitSettings,
} from '../../src/domain/deferred-deletion';
import type { EventResult, PolicyEvent } from '../../src/domain/types';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = 1_800_000_000_000;

const remove = (overrides: Partial<PolicyEvent> = {}): PolicyEvent => ({
  source: 'urn:test',
  id: 'del-1',
  type: 'iam.policy.delete',
  sequence: '2',
  policyName: 'team-a',
  path: '/',
  waitUntilUnused: true,
  ...overrides,
});

const upsert: PolicyEvent = {
  source: 'urn:test',
  id: 'up-3',
  type: 'iam.policy.upsert',
  sequence: '3',
  policyName: 'team-a',
  path: '/',
  document: {},
};

const entities = [{ kind: 'role', name: 'reader', usage: 'permissions-policy' }] as const;

function result(event: PolicyEvent, outcome: EventResult['outcome'], extra: Partial<EventResult> = {}) {
  return {
    source: event.source,
    id: event.id,
    type: event.type,
    policyName: event.policyName,
    outcome,
    actions: [],
    ...extra,
  } satisfies EventResult;
}

const pendingResult = result(remove(), 'delete-pending', {
  policyArn: 'arn:aws:iam::123456789012:policy/team-a',
  entities: [...entities],
});

function started(settings: DeleteWaitSettings = DEFAULT_DELETE_WAIT, event = remove()): DeferredDeletion {
  const deletion = deferredDeletionAfterEvent(undefined, event, pendingResult, true, T0, settings);
  if (!deletion) throw new Error('expected a deferred deletion');
  return deletion;
}

describe('the backoff schedule', () => {
  test('1 minute, doubling, up to 1 hour by default', () => {
    const intervals = Array.from({ length: 9 }, (_, checks) => checkInterval(checks, DEFAULT_DELETE_WAIT));
    expect(intervals).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60].map((minutes) => minutes * MINUTE));
    expect(checkInterval(10_000, DEFAULT_DELETE_WAIT)).toBe(HOUR);
  });

  test('seconds when configured so', () => {
    const fast = { ...DEFAULT_DELETE_WAIT, firstCheckMs: 1_000, maxCheckIntervalMs: 5_000 };
    expect([0, 1, 2, 3, 4].map((checks) => checkInterval(checks, fast))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
  });

  test('successive checks follow it, and the last one comes at the deadline, not after', () => {
    const settings = { ...DEFAULT_DELETE_WAIT, maxWaitMs: 10 * MINUTE };
    let deletion = started(settings);
    const checkTimes: number[] = [];
    while (deletion.status === 'pending') {
      const now = deletion.nextCheckAt!;
      checkTimes.push((now - T0) / MINUTE);
      deletion = deferredDeletionAfterCheck(deletion, result(remove(), 'delete-pending'), now, settings);
    }
    expect(checkTimes).toEqual([1, 3, 7, 10]);
    expect(deletion).toMatchObject({ status: 'expired', checks: 4, endedAt: T0 + 10 * MINUTE });
  });
});

describe('whether and how long a delete waits', () => {
  test("the event's wish, else the worker's default; upserts never wait", () => {
    const byDefault = { ...DEFAULT_DELETE_WAIT, byDefault: true };
    expect(waitsUntilUnused(remove(), DEFAULT_DELETE_WAIT)).toBe(true);
    expect(waitsUntilUnused(remove({ waitUntilUnused: undefined }), DEFAULT_DELETE_WAIT)).toBe(false);
    expect(waitsUntilUnused(remove({ waitUntilUnused: undefined }), byDefault)).toBe(true);
    expect(waitsUntilUnused(remove({ waitUntilUnused: false }), byDefault)).toBe(false);
    expect(waitsUntilUnused(upsert, byDefault)).toBe(false);
  });

  test("the event's maximum, never beyond the worker's", () => {
    expect(maxWaitOf(remove(), DEFAULT_DELETE_WAIT)).toBe(DEFAULT_DELETE_WAIT.maxWaitMs);
    expect(maxWaitOf(remove({ maxWaitMs: HOUR }), DEFAULT_DELETE_WAIT)).toBe(HOUR);
    expect(maxWaitOf(remove({ maxWaitMs: 30 * 24 * HOUR }), DEFAULT_DELETE_WAIT)).toBe(
      DEFAULT_DELETE_WAIT.maxWaitMs,
    );
  });

  test('a waiting delete reports a policy found in use at the last moment as delete-pending', () => {
    const retained = result(remove(), 'retained-in-use', { entities: [...entities] });
    expect(pendingIfInUse(retained, true)).toEqual({ ...retained, outcome: 'delete-pending' });
    expect(pendingIfInUse(retained, false)).toBe(retained);
    const deleted = result(remove(), 'deleted');
    expect(pendingIfInUse(deleted, true)).toBe(deleted);
  });
});

describe('a deferred deletion and the events after it', () => {
  test('delete-pending starts one: first check after the first interval, deadline at the maximum wait', () => {
    expect(started(DEFAULT_DELETE_WAIT, remove({ maxWaitMs: HOUR }))).toEqual({
      event: remove({ maxWaitMs: HOUR }),
      status: 'pending',
      since: T0,
      deadline: T0 + HOUR,
      checks: 0,
      nextCheckAt: T0 + MINUTE,
      entities,
      policyArn: pendingResult.policyArn,
    });
  });

  test('a newer applied upsert cancels it, a newer applied delete replaces it', () => {
    const pending = started();
    const cancelled = deferredDeletionAfterEvent(
      pending,
      upsert,
      result(upsert, 'unchanged'),
      true,
      T0 + 5,
      DEFAULT_DELETE_WAIT,
    );
    expect(cancelled).toMatchObject({ status: 'cancelled', endedAt: T0 + 5 });
    expect(cancelled?.nextCheckAt).toBeUndefined();
    expect(cancelled?.reason).toContain('up-3 from urn:test (sequence 3)');
    const newer = remove({ id: 'del-4', sequence: '4', waitUntilUnused: undefined });
    expect(
      deferredDeletionAfterEvent(
        pending,
        newer,
        result(newer, 'retained-in-use'),
        true,
        T0 + 5,
        DEFAULT_DELETE_WAIT,
      ),
    ).toMatchObject({ status: 'replaced', event: { id: 'del-1' } });
  });

  test('a newer waiting delete starts a pending deletion of its own', () => {
    const newer = remove({ id: 'del-4', sequence: '4' });
    expect(
      deferredDeletionAfterEvent(
        started(),
        newer,
        { ...pendingResult, id: 'del-4' },
        true,
        T0 + 9,
        DEFAULT_DELETE_WAIT,
      ),
    ).toMatchObject({ status: 'pending', event: { id: 'del-4' }, since: T0 + 9, checks: 0 });
  });

  test('an event not applied (superseded, rejected, failed) changes nothing', () => {
    const pending = started();
    for (const outcome of ['superseded', 'rejected', 'failed'] as const) {
      expect(
        deferredDeletionAfterEvent(
          pending,
          upsert,
          result(upsert, outcome),
          false,
          T0 + 5,
          DEFAULT_DELETE_WAIT,
        ),
      ).toBeUndefined();
    }
  });
});

describe('a check of a pending deletion', () => {
  const now = T0 + MINUTE;

  test('still in use: waits on, with the users seen and the next interval', () => {
    const after = deferredDeletionAfterCheck(started(), pendingResult, now, DEFAULT_DELETE_WAIT);
    expect(after).toMatchObject({ status: 'pending', checks: 1, nextCheckAt: now + 2 * MINUTE, entities });
  });

  test('unused: deleted, with the writes', () => {
    const actions = [{ action: 'DeletePolicy' }] as const;
    const after = deferredDeletionAfterCheck(
      started(),
      result(remove(), 'deleted', { actions: [...actions] }),
      now,
      DEFAULT_DELETE_WAIT,
    );
    expect(after).toMatchObject({ status: 'deleted', checks: 1, endedAt: now, actions, entities: [] });
    expect(after.nextCheckAt).toBeUndefined();
  });

  test('gone by other means: absent; no longer the service to delete: rejected with the reason', () => {
    expect(
      deferredDeletionAfterCheck(started(), result(remove(), 'absent'), now, DEFAULT_DELETE_WAIT).status,
    ).toBe('absent');
    const rejected = deferredDeletionAfterCheck(
      started(),
      result(remove(), 'rejected', { reason: 'not managed by this service' }),
      now,
      DEFAULT_DELETE_WAIT,
    );
    expect(rejected).toMatchObject({ status: 'rejected', reason: 'not managed by this service' });
  });

  test('a failed check waits on, saying why, until the deadline', () => {
    const failed = result(remove(), 'failed', { reason: 'IAM unreachable' });
    const after = deferredDeletionAfterCheck(started(), failed, now, DEFAULT_DELETE_WAIT);
    expect(after).toMatchObject({
      status: 'pending',
      reason: 'the last check could not decide: IAM unreachable',
    });
    const late = deferredDeletionAfterCheck(started(), failed, T0 + 7 * 24 * HOUR, DEFAULT_DELETE_WAIT);
    expect(late.status).toBe('expired');
  });
});

test('the desired state and the Outcome attribute follow how it ended', () => {
  const desired = { event: remove(), outcome: 'delete-pending' as const };
  const ended = (status: DeferredDeletion['status']) => ({ ...started(), status });
  expect(desiredAfterDeletion(desired, ended('deleted'))?.outcome).toBe('deleted');
  expect(desiredAfterDeletion(desired, ended('expired'))?.outcome).toBe('retained-in-use');
  expect(desiredAfterDeletion(desired, ended('absent'))?.outcome).toBe('absent');
  // A newer event is the desired state now: left alone.
  const newer = { event: upsert, outcome: 'updated' as const };
  expect(desiredAfterDeletion(newer, ended('cancelled'))).toBe(newer);
  expect(
    ['pending', 'deleted', 'expired', 'cancelled', 'replaced'].map((s) =>
      deferredDeletionOutcome(s as DeferredDeletion['status']),
    ),
  ).toEqual(['delete-pending', 'deleted', 'delete-expired', null, null]);
});
