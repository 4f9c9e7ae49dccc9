// The policy workflow's state machine, pure so it can be tested alone: which deliveries to accept,
// which event to apply next, which are superseded, and what to tell each event workflow.
import type { DeferredDeletion } from './deferred-deletion';
import { resultWithoutWrites } from './event-result';
import { compareEventOrder } from './ordering';
import type { ReadFence } from './read-fence';
import type { AppliedDesiredState, EventResult, Outcome, PolicyEvent } from './types';

/** Where an event workflow waits for its outcome. */
export interface ReplyAddress {
  workflowId: string;
  runId: string;
}

/** What an event workflow hands to the policy workflow (by signal, or by update). */
export interface EventDelivery {
  event: PolicyEvent;
  replyTo: ReplyAddress;
  /**
   * `update`: the result goes back as the answer of the update that delivered the event, while its sender
   * waits for it. Absent: by a signal to `replyTo`.
   */
  replyBy?: 'update';
}

export interface QueuedEvent extends EventDelivery {
  /** Arrival number in this policy workflow: the order of last resort. */
  arrival: number;
}

/** The position of the newest event applied to the policy. */
export interface AppliedPosition {
  source: string;
  id: string;
  sequence?: string;
  time?: string;
  arrival: number;
}

export interface FinishedEvent {
  key: string;
  runId: string;
  result: EventResult;
}

export interface OutgoingResult {
  replyTo: ReplyAddress;
  result: EventResult;
  replyBy?: 'update';
}

/** Plain JSON, carried across continue-as-new. */
export interface PolicyState {
  policyKey: string;
  arrivals: number;
  lastApplied?: AppliedPosition;
  pending: QueuedEvent[];
  /** The event taken from `pending` and being applied now. */
  applying?: QueuedEvent;
  /** Recently finished events, oldest first, to answer repeated deliveries without applying again. */
  recent: FinishedEvent[];
  outbox: OutgoingResult[];
  /** What this workflow's last write left in IAM: reads showing less are stale (src/domain/read-fence.ts). */
  fence?: ReadFence;
  /**
   * The last applied event and its result: the desired state of the policy, which drift detection
   * compares with IAM and repairs from (src/domain/drift.ts). Absent until an event is applied.
   */
  desired?: AppliedDesiredState;
  /**
   * A delete waiting until the policy is unused (status pending), or how the last one ended
   * (src/domain/deferred-deletion.ts). Carried across continue-as-new: the next run checks again when due.
   */
  deferredDeletion?: DeferredDeletion;
}

/** How many finished events the state remembers; older repeats are still caught by their position. */
export const RECENT_LIMIT = 200;

/** Outcomes after which an event counts as applied: nothing older may change the policy afterwards. */
export const APPLIED_OUTCOMES: readonly Outcome[] = [
  'created',
  'updated',
  'unchanged',
  'absent',
  'deleted',
  'retained-in-use',
  'delete-pending',
];

export function eventKey(event: { source: string; id: string }): string {
  return JSON.stringify([event.source, event.id]);
}

export function newPolicyState(policyKey: string): PolicyState {
  return { policyKey, arrivals: 0, pending: [], recent: [], outbox: [] };
}

/**
 * Takes a delivery into the state. A repeated signal (the delivering activity ran twice) is ignored;
 * a delivery of an event already finished by the same event workflow run gets its recorded result again;
 * a new run of the same event (the first one failed and was resubmitted) is applied again.
 */
export function acceptDelivery(state: PolicyState, delivery: EventDelivery): void {
  const key = eventKey(delivery.event);
  const inHand = [...(state.applying ? [state.applying] : []), ...state.pending];
  const queued = inHand.find((q) => eventKey(q.event) === key);
  if (queued) {
    // The same event, still waiting or being applied: one answer will go to the newest run that asked.
    // Once a run has asked by signal (its update gave up waiting), it is answered by signal, even if a
    // late copy of its update arrives after that signal.
    const sameRun = queued.replyTo.runId === delivery.replyTo.runId;
    const byUpdate = delivery.replyBy === 'update' && (!sameRun || queued.replyBy === 'update');
    queued.replyTo = delivery.replyTo;
    if (byUpdate) queued.replyBy = 'update';
    else delete queued.replyBy;
    return;
  }
  const finished = state.recent.find((f) => f.key === key && f.runId === delivery.replyTo.runId);
  if (finished) {
    state.outbox.push(outgoing(delivery, finished.result));
    return;
  }
  state.arrivals += 1;
  state.pending.push({ ...delivery, arrival: state.arrivals });
}

/**
 * Positive when `a` is newer than `b`: by sequence, else time, else arrival. A drift repair ranks below
 * every other event: any event waiting beside it arrived after the state it restores was applied.
 */
function compareQueued(a: QueuedEvent, b: QueuedEvent): number {
  const aRepairs = a.event.restores !== undefined;
  if (aRepairs !== (b.event.restores !== undefined)) return aRepairs ? -1 : 1;
  const byEvent = compareEventOrder(a.event, b.event);
  if (byEvent !== undefined && byEvent !== 0) return byEvent;
  return a.arrival - b.arrival;
}

/**
 * Why `event` may not overwrite what the applied event wrote: that one is at the same or a newer position.
 * Undefined when `event` is strictly newer. Without comparable positions the later arrival is the newer
 * (an event not arrived yet, as in a dry run, would come later).
 */
export function supersededByApplied(
  event: { sequence?: string; time?: string },
  applied: AppliedPosition,
  arrival = Number.POSITIVE_INFINITY,
): string | undefined {
  const byEvent = compareEventOrder(event, applied);
  const newer = byEvent === undefined ? arrival > applied.arrival : byEvent > 0;
  return newer
    ? undefined
    : `a newer or same-position event was already applied: ${describePosition(applied)}`;
}

function describePosition(event: { source: string; id: string; sequence?: string; time?: string }): string {
  const where =
    event.sequence !== undefined ? `sequence ${event.sequence}` : event.time ? `time ${event.time}` : '';
  return `${event.id} from ${event.source}${where ? ` (${where})` : ''}`;
}

export function supersededResult(event: PolicyEvent, reason: string): EventResult {
  return resultWithoutWrites(event, 'superseded', { reason });
}

/**
 * Keeps only the newest waiting event and moves every older one to the outbox as superseded: each event
 * states the whole desired state of its policy, so only the newest one matters. Returns the newest.
 */
export function supersedeWaiting(state: PolicyState): QueuedEvent | undefined {
  if (state.pending.length === 0) return undefined;
  const ordered = [...state.pending].sort(compareQueued);
  const newest = ordered[ordered.length - 1];
  state.pending = [newest];
  for (const older of ordered.slice(0, -1)) {
    const reason =
      older.event.restores !== undefined && newest.event.restores === undefined
        ? `another event is waiting and goes before a drift repair: ${describePosition(newest.event)}`
        : `a newer event is waiting: ${describePosition(newest.event)}`;
    finish(state, older, supersededResult(older.event, reason));
  }
  return newest;
}

/**
 * Why a drift repair may not be applied: it restores the state of the event `restores` (an eventKey)
 * and carries that event's position, so it is applied only while that event is still the last applied
 * one, never over anything applied since. Undefined when it may be applied.
 */
export function repairOutdated(restores: string, applied: AppliedPosition | undefined): string | undefined {
  if (applied && eventKey(applied) === restores) return undefined;
  return applied
    ? `the policy changed since the drift check read it: ${describePosition(applied)} was applied`
    : 'the event whose state it restores is no longer the last applied one';
}

/**
 * Picks the event to apply now (the newest waiting one, unless an applied event is as new) and settles
 * every older waiting event as superseded.
 */
export function takeNext(state: PolicyState): QueuedEvent | undefined {
  const newest = supersedeWaiting(state);
  if (!newest) return undefined;
  state.pending = [];
  const stale =
    newest.event.restores !== undefined
      ? repairOutdated(newest.event.restores, state.lastApplied)
      : state.lastApplied && supersededByApplied(newest.event, state.lastApplied, newest.arrival);
  if (stale) {
    finish(state, newest, supersededResult(newest.event, stale));
    return undefined;
  }
  state.applying = newest;
  return newest;
}

/** Records an event's result: remembered, queued for its event workflow, and its position if applied. */
export function finish(state: PolicyState, queued: QueuedEvent, result: EventResult): void {
  if (state.applying && eventKey(state.applying.event) === eventKey(queued.event)) state.applying = undefined;
  if (APPLIED_OUTCOMES.includes(result.outcome)) {
    const { source, id, sequence, time } = queued.event;
    state.lastApplied = { source, id, sequence, time, arrival: queued.arrival };
    const { policyArn, versionId } = result;
    state.desired = {
      event: queued.event,
      outcome: result.outcome,
      ...(policyArn !== undefined ? { policyArn } : {}),
      ...(versionId !== undefined ? { versionId } : {}),
    };
  }
  const key = eventKey(queued.event);
  state.recent = state.recent.filter((f) => f.key !== key);
  state.recent.push({ key, runId: queued.replyTo.runId, result });
  if (state.recent.length > RECENT_LIMIT) state.recent.splice(0, state.recent.length - RECENT_LIMIT);
  state.outbox.push(outgoing(queued, result));
}

function outgoing(delivery: EventDelivery, result: EventResult): OutgoingResult {
  return { replyTo: delivery.replyTo, result, ...(delivery.replyBy ? { replyBy: delivery.replyBy } : {}) };
}
