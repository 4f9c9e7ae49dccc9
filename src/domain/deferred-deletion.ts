// Deferred deletion: a delete that asks to wait (data.waitUntilUnused) for a policy still in use ends
// `delete-pending` at once, and its policy workflow checks again on a durable timer, with backoff, until
// nothing uses the policy (then deletes it through the same decide and carry-out as any delete), a newer
// event takes its place, or the maximum wait runs out. Pure: the policy workflow runs it, and carries
// the pending deletion across continue-as-new in its state.
import type { AppliedDesiredState, EventResult, IamAction, PolicyEntity, PolicyEvent } from './types';

/** The worker's settings for waiting deletes (DELETE_WAIT_*), sent to the policy workflows with every delivery. */
export interface DeleteWaitSettings {
  /** A delete that does not say (no data.waitUntilUnused) waits (DELETE_WAIT_UNTIL_UNUSED). */
  byDefault: boolean;
  /** The longest a delete waits, and its wait when the event names none (DELETE_WAIT_MAX_MS). */
  maxWaitMs: number;
  /** The first check again comes this long after the delete (DELETE_WAIT_CHECK_FIRST_MS). */
  firstCheckMs: number;
  /** Each interval doubles the one before, up to this (DELETE_WAIT_CHECK_MAX_MS). */
  maxCheckIntervalMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** One minute growing to one hour, for at most 7 days; deletes do not wait unless they ask. */
export const DEFAULT_DELETE_WAIT: DeleteWaitSettings = {
  byDefault: false,
  maxWaitMs: 7 * DAY,
  firstCheckMs: MINUTE,
  maxCheckIntervalMs: HOUR,
};

/**
 * pending: the policy workflow checks again at `nextCheckAt`. Then how it ended: deleted (nothing used
 * the policy any more), expired (still in use when the maximum wait ran out: the policy stays),
 * cancelled (a newer upsert was applied: the policy stays), replaced (a newer delete was applied: it
 * decides instead), absent (the policy went by other means), rejected (the service may no longer
 * delete it, e.g. its managed-by tag was removed; `reason` says why).
 */
export type DeferredDeletionStatus =
  'pending' | 'deleted' | 'expired' | 'cancelled' | 'replaced' | 'absent' | 'rejected';

/** A waiting delete, or how the last one ended. Plain JSON: part of the policy workflow's state. */
export interface DeferredDeletion {
  /** The delete event that asked to wait (its own outcome was `delete-pending`). */
  event: PolicyEvent;
  status: DeferredDeletionStatus;
  /** Workflow time (ms since the epoch) when the delete found the policy in use. */
  since: number;
  /** When the wait runs out: a check then that still finds users ends it `expired`. */
  deadline: number;
  /** How many times it has checked again. */
  checks: number;
  /** While pending: when it checks again (never after `deadline`). */
  nextCheckAt?: number;
  /** Who used the policy at the last check. */
  entities?: PolicyEntity[];
  policyArn?: string;
  /** When it ended (any status but pending). */
  endedAt?: number;
  /** Why it ended, for every status but deleted; for pending, why the last check decided nothing. */
  reason?: string;
  /** The IAM writes of the deletion (deleted), or of a check that deleted versions and then found users. */
  actions?: IamAction[];
}

/** Whether `event` waits until its policy is unused: its own wish, else the worker's default. */
export function waitsUntilUnused(event: PolicyEvent, settings: DeleteWaitSettings): boolean {
  return event.type === 'iam.policy.delete' && (event.waitUntilUnused ?? settings.byDefault);
}

/** How long `event` may wait: its own maximum, else the worker's, never beyond the worker's. */
export function maxWaitOf(event: PolicyEvent, settings: DeleteWaitSettings): number {
  return Math.min(event.maxWaitMs ?? settings.maxWaitMs, settings.maxWaitMs);
}

/** The interval before check number `checks + 1`: the first interval, doubled per check, up to the maximum. */
export function checkInterval(checks: number, settings: DeleteWaitSettings): number {
  const ceiling = Math.max(settings.firstCheckMs, settings.maxCheckIntervalMs);
  // 2^40 intervals is far beyond any ceiling: the cap keeps the power finite.
  return Math.min(settings.firstCheckMs * 2 ** Math.min(checks, 40), ceiling);
}

/** A delete that waits reports a policy found in use (by the decision or at the last moment) as delete-pending. */
export function pendingIfInUse(result: EventResult, waits: boolean): EventResult {
  return waits && result.outcome === 'retained-in-use' ? { ...result, outcome: 'delete-pending' } : result;
}

function inUse(result: EventResult): boolean {
  return result.outcome === 'delete-pending' || result.outcome === 'retained-in-use';
}

function sameEvent(a: PolicyEvent, b: PolicyEvent): boolean {
  return a.source === b.source && a.id === b.id;
}

function scheduled(deletion: DeferredDeletion, now: number, settings: DeleteWaitSettings): DeferredDeletion {
  return {
    ...deletion,
    status: 'pending',
    nextCheckAt: Math.min(now + checkInterval(deletion.checks, settings), deletion.deadline),
  };
}

function ended(
  deletion: DeferredDeletion,
  status: Exclude<DeferredDeletionStatus, 'pending'>,
  now: number,
  details: Pick<DeferredDeletion, 'reason' | 'actions' | 'entities'> = {},
): DeferredDeletion {
  const { nextCheckAt: _next, reason: _reason, ...rest } = deletion;
  return { ...rest, ...details, status, endedAt: now };
}

function describeEvent(event: PolicyEvent): string {
  const where =
    event.sequence !== undefined
      ? ` (sequence ${event.sequence})`
      : event.time
        ? ` (time ${event.time})`
        : '';
  return `${event.id} from ${event.source}${where}`;
}

/**
 * The deferred deletion after an event was applied with `result`: a delete-pending result starts one
 * (replacing any earlier); any other applied event ends a pending one (an upsert cancels it, a delete
 * replaces it). Undefined when nothing changes. Only events newer than the pending delete are ever
 * applied after it (src/domain/policy-queue.ts), so an older event never ends it.
 */
export function deferredDeletionAfterEvent(
  current: DeferredDeletion | undefined,
  event: PolicyEvent,
  result: EventResult,
  applied: boolean,
  now: number,
  settings: DeleteWaitSettings,
): DeferredDeletion | undefined {
  if (result.outcome === 'delete-pending') {
    return scheduled(
      {
        event,
        status: 'pending',
        since: now,
        deadline: now + maxWaitOf(event, settings),
        checks: 0,
        ...(result.entities ? { entities: result.entities } : {}),
        ...(result.policyArn ? { policyArn: result.policyArn } : {}),
        ...(result.actions.length > 0 ? { actions: result.actions } : {}),
      },
      now,
      settings,
    );
  }
  if (!applied || current?.status !== 'pending' || sameEvent(current.event, event)) return undefined;
  const upsert = event.type === 'iam.policy.upsert';
  return ended(current, upsert ? 'cancelled' : 'replaced', now, {
    reason: `a newer ${upsert ? 'upsert' : 'delete'} was applied: ${describeEvent(event)} (${result.outcome})`,
  });
}

/**
 * The deferred deletion after one of its checks ended with `result` (the delete decided and carried
 * out again): deleted, absent or rejected end it; still in use, it waits on, unless the maximum wait
 * has run out (expired). A check that failed (IAM unavailable for its hour) waits on too.
 */
export function deferredDeletionAfterCheck(
  deletion: DeferredDeletion,
  result: EventResult,
  now: number,
  settings: DeleteWaitSettings,
): DeferredDeletion {
  const counted: DeferredDeletion = { ...deletion, checks: deletion.checks + 1 };
  if (result.policyArn) counted.policyArn = result.policyArn;
  if (result.actions.length > 0) counted.actions = [...(deletion.actions ?? []), ...result.actions];
  if (result.outcome === 'deleted') {
    return ended(counted, 'deleted', now, { actions: counted.actions ?? [], entities: [] });
  }
  if (result.outcome === 'absent') {
    return ended(counted, 'absent', now, { reason: 'the policy was gone when checked again' });
  }
  if (result.outcome === 'rejected') {
    return ended(counted, 'rejected', now, { reason: result.reason ?? 'the service may not delete it' });
  }
  const stillInUse = inUse(result);
  if (stillInUse) counted.entities = result.entities ?? [];
  if (now >= deletion.deadline) {
    return ended(counted, 'expired', now, {
      reason: stillInUse
        ? 'still in use when the maximum wait ran out; the policy stays'
        : `the last check could not decide (${result.reason ?? result.outcome}) and the maximum wait ran out; the policy stays`,
    });
  }
  const next = scheduled(counted, now, settings);
  if (stillInUse) {
    delete next.reason;
    return next;
  }
  return { ...next, reason: `the last check could not decide: ${result.reason ?? result.outcome}` };
}

/**
 * The desired state after a deferred deletion ended: the pending delete is still the last applied
 * event, now `deleted` (or `absent`) when the policy went, `retained-in-use` when the wait ran out, so
 * the drift check (src/domain/drift.ts) knows what the service left in IAM.
 */
export function desiredAfterDeletion(
  desired: AppliedDesiredState | undefined,
  deletion: DeferredDeletion,
): AppliedDesiredState | undefined {
  if (!desired || !sameEvent(desired.event, deletion.event)) return desired;
  const outcome =
    deletion.status === 'deleted'
      ? 'deleted'
      : deletion.status === 'absent'
        ? 'absent'
        : deletion.status === 'expired' || deletion.status === 'rejected'
          ? 'retained-in-use'
          : desired.outcome;
  return { ...desired, outcome };
}

/**
 * The policy workflow's Outcome search attribute for a deferred deletion: delete-pending while it
 * waits, deleted or delete-expired once it ended so; null (removed) when it ended otherwise.
 */
export function deferredDeletionOutcome(
  status: DeferredDeletionStatus,
): 'delete-pending' | 'deleted' | 'delete-expired' | null {
  switch (status) {
    case 'pending':
      return 'delete-pending';
    case 'deleted':
      return 'deleted';
    case 'expired':
      return 'delete-expired';
    default:
      return null;
  }
}
