// One long-lived workflow per policy (ID from the lower-cased name): the only writer of that policy.
// It applies the events it receives one at a time, newest first, and answers each event workflow.
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  proxyActivities,
  proxySinks,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { DeliveryActivities, PolicyActivities, WriteResult } from '../messages/activity-contracts';
import { ACCOUNT_BUSY_FAILURE_TYPE, readActivityFailure } from '../messages/activity-failures';
import {
  DEFAULT_COALESCE_WINDOW,
  nextQuietWait,
  shouldGather,
  type CoalesceWindow,
} from '../domain/coalescing';
import { eventIdentity, resultWithoutWrites } from '../domain/event-result';
import {
  decide,
  decideWithoutObserving,
  observationInput,
  type DecisionContext,
  type NoWrite,
  type PolicyObservation,
} from '../domain/decide';
import {
  DEFAULT_DELETE_WAIT,
  deferredDeletionAfterCheck,
  deferredDeletionAfterEvent,
  deferredDeletionOutcome,
  desiredAfterDeletion,
  pendingIfInUse,
  waitsUntilUnused,
  type DeferredDeletion,
  type DeleteWaitSettings,
} from '../domain/deferred-deletion';
import {
  DEFAULT_CONSISTENCY_WAIT_MS,
  fenceAfterFailure,
  fenceAfterWrite,
  fenceVerdict,
} from '../domain/read-fence';
import {
  acceptDelivery,
  APPLIED_OUTCOMES,
  eventKey,
  finish,
  newPolicyState,
  supersedeWaiting,
  takeNext,
  type EventDelivery,
  type PolicyState,
  type QueuedEvent,
} from '../domain/policy-queue';
import { OUTCOME, POLICY_NAME } from '../messages/search-attributes';
import type { ServiceSinks } from '../messages/sinks';
import type { EventResult, PolicyEvent } from '../domain/types';
import {
  applyEventUpdate,
  deferredDeletionQuery,
  deliverEventSignal,
  lastAppliedQuery,
  pendingEventsQuery,
  policyStateQuery,
  type PendingEventView,
} from '../messages/workflow-messages';
import { proxyLocalFirstActivities, TEMPORAL_CALL_OPTIONS } from './local-first-activities';
import { versionedAs } from './versioning';
import type { PolicyWorkflowInput, PolicyWorkflowSettings } from '../messages/workflow-io';

/** How often an event is observed and planned again when the policy changed under its plan. */
const MAX_PLANNING_ROUNDS = 3;

/** Errors of our own code: retrying does not heal them. */
const PROGRAMMING_ERRORS = ['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError'];

/** IAM calls as ordinary activities: visible in the UI while they fail, retried by the server. */
const IAM_ACTIVITY: ActivityOptions = {
  // An attempt lost with a crashed worker is retried after this; a few IAM calls take far less.
  startToCloseTimeout: '30 seconds',
  // Transient IAM errors (throttling, 5xx, network, an outage) are retried with backoff for this long;
  // after that the event fails and an operator can resubmit it.
  scheduleToCloseTimeout: '1 hour',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: PROGRAMMING_ERRORS,
  },
};

/** Observing: local first (a lost observation is only made again). */
const iam = proxyLocalFirstActivities<PolicyActivities>({
  local: {
    // A local attempt lost with a crashed worker is run again when its workflow task times out (10 s).
    startToCloseTimeout: '30 seconds',
    // The IAM client already retries throttling and 5xx itself (6 attempts, adaptive); two local
    // attempts then cover a blip, and anything longer becomes a visible, server-spaced activity.
    retry: { initialInterval: '1 second', maximumAttempts: 2, nonRetryableErrorTypes: PROGRAMMING_ERRORS },
  },
  fallback: IAM_ACTIVITY,
  // An account whose calls already wait at the worker reads as an activity, not inside the workflow task.
  fallBackAtOnce: [ACCOUNT_BUSY_FAILURE_TYPE],
});

/**
 * Writing: always an ordinary activity, so the write is recorded before IAM is touched. Scheduling it
 * completes the workflow task, which puts the observation and the plan (the activity's input) in history
 * first; a worker lost in the middle of the write leaves an activity the server retries with that same
 * plan, and src/iam/writes.ts recognises what the earlier attempt wrote (created, updated, deleted, never
 * unchanged or absent). A local write would be lost with its workflow task, and the task run again would
 * observe the write already made and decide anew: nothing left to do.
 */
const writes = proxyActivities<Pick<PolicyActivities, 'applyPlan'>>({
  ...IAM_ACTIVITY,
  // The write heartbeats while it runs: a worker lost in the middle of it is noticed after this, not
  // after the start-to-close timeout, and the write is carried out again sooner.
  heartbeatTimeout: '10 seconds',
});

const messaging = proxyLocalFirstActivities<DeliveryActivities>(TEMPORAL_CALL_OPTIONS);

const { deletions } = proxySinks<ServiceSinks>();

/** An update handler waiting for its event's result (or for the run to hand over). */
interface UpdateWaiter {
  result?: EventResult;
}

/** Which update handlers wait for a result: those for the same event and event workflow run. */
function replyToken(event: { source: string; id: string }, replyTo: EventDelivery['replyTo']): string {
  return `${eventKey(event)} ${replyTo.runId}`;
}

// Worker Versioning (docs/deploying.md): a policy workflow lives for ever, so it auto-upgrades: at its
// next workflow task after a new build became current it moves to that build, which replays its history.
// So every change to this workflow and to what it runs (src/domain, local-first-activities.ts) must
// replay the histories of the build before it. A change that issues other commands, or the same ones
// in another order (an activity where a timer was, one more await before an existing one), goes behind
// a patch (`patched`) or into a new workflow type. Pinned instead, policy workflows would keep every build's
// workers running for ever: on server 1.29 a pinned workflow does not move even at continue-as-new.
versionedAs('AUTO_UPGRADE', policyWorkflow);

export async function policyWorkflow(input: PolicyWorkflowInput): Promise<void> {
  const state: PolicyState = input.state ?? newPolicyState(input.policyKey);
  const waiting = new Map<string, UpdateWaiter[]>();
  let handingOver = false;
  // The newest settings a delivery brought: the configuration of the workers delivering now.
  let settings = settingsOf(input);
  const adopt = (latest: PolicyWorkflowSettings | undefined) => {
    if (latest) settings = { ...settings, ...settingsOf(latest) };
  };
  setHandler(deliverEventSignal, ({ event, replyTo, settings: latest }) => {
    adopt(latest);
    acceptDelivery(state, { event, replyTo });
  });
  setHandler(applyEventUpdate, async ({ event, replyTo, settings: latest }) => {
    adopt(latest);
    const token = replyToken(event, replyTo);
    const waiter: UpdateWaiter = {};
    waiting.set(token, [...(waiting.get(token) ?? []), waiter]);
    // Accepted even while handing over: the event is carried into the next run, where the sender's
    // delivery by signal finds it.
    acceptDelivery(state, { event, replyTo, replyBy: 'update' });
    await condition(() => waiter.result !== undefined || handingOver);
    const remaining = (waiting.get(token) ?? []).filter((other) => other !== waiter);
    if (remaining.length > 0) waiting.set(token, remaining);
    else waiting.delete(token);
    return waiter.result;
  });
  setHandler(policyStateQuery, () => state);
  setHandler(lastAppliedQuery, () => lastApplied(state));
  setHandler(deferredDeletionQuery, () => state.deferredDeletion);
  setHandler(pendingEventsQuery, () => [
    ...(state.applying ? [pendingView(state.applying, 'applying')] : []),
    ...state.pending.map((queued) => pendingView(queued, 'waiting')),
  ]);

  // A run on another task queue than its account's now (TEMPORAL_ACCOUNT_TASK_QUEUES changed, as the
  // latest delivery says) moves there between events.
  const onAnotherQueue = (): boolean =>
    settings.taskQueue !== undefined && settings.taskQueue !== workflowInfo().taskQueue;
  const shouldContinueAsNew = (): boolean =>
    workflowInfo().continueAsNewSuggested ||
    onAnotherQueue() ||
    (settings.maxHistoryLength !== undefined && workflowInfo().historyLength >= settings.maxHistoryLength);

  const hasWork = () => state.pending.length > 0 || state.outbox.length > 0 || shouldContinueAsNew();
  for (;;) {
    const deletion = state.deferredDeletion;
    if (deletion?.status === 'pending' && deletion.nextCheckAt !== undefined) {
      // A durable timer: it survives worker restarts, and the next run after continue-as-new starts
      // one for what is left. Events go first; the check comes when it is due and nothing waits.
      const due = deletion.nextCheckAt - workflowTime();
      const woken = hasWork() || (due > 0 && (await condition(hasWork, due)));
      if (!woken) {
        await checkDeferredDeletion(state, deletion, settings.deleteWait ?? DEFAULT_DELETE_WAIT);
        continue;
      }
    } else {
      await condition(hasWork);
    }
    const window = settings.coalesce ?? DEFAULT_COALESCE_WINDOW;
    if (shouldGather(state.pending.length, window) && !shouldContinueAsNew()) {
      await gatherBurst(state, window, shouldContinueAsNew, async () => {
        answerUpdates(state, waiting);
        await sendResults(state);
      });
    }
    answerUpdates(state, waiting);
    if (shouldContinueAsNew()) {
      // Updates still waiting get no answer and their senders deliver again, to the next run, by signal.
      handingOver = true;
      await condition(allHandlersFinished);
      answerUpdates(state, waiting);
      await sendResults(state);
      // On the task queue its account works on now.
      const next = makeContinueAsNewFunc<typeof policyWorkflow>(
        settings.taskQueue !== undefined ? { taskQueue: settings.taskQueue } : {},
      );
      return await next({ ...input, ...settings, state });
    }
    const next = takeNext(state);
    // What takeNext settled (superseded, repeats) is answered while the next event is applied.
    answerUpdates(state, waiting);
    const sent = sendResults(state);
    if (next) {
      const deleteWait = settings.deleteWait ?? DEFAULT_DELETE_WAIT;
      const waits = waitsUntilUnused(next.event, deleteWait);
      const result = pendingIfInUse(await applyEvent(state, next.event, { waitUntilUnused: waits }), waits);
      finish(state, next, result);
      const changed = deferredDeletionAfterEvent(
        state.deferredDeletion,
        next.event,
        result,
        APPLIED_OUTCOMES.includes(result.outcome),
        workflowTime(),
        deleteWait,
      );
      if (changed) recordDeferredDeletion(state, changed);
    }
    await sent;
  }
}

/** Only the settings, without keys set to undefined (they would hide the values they are merged over). */
function settingsOf({
  maxHistoryLength,
  coalesce,
  deleteWait,
  taskQueue,
}: PolicyWorkflowSettings): PolicyWorkflowSettings {
  return {
    ...(maxHistoryLength !== undefined ? { maxHistoryLength } : {}),
    ...(coalesce !== undefined ? { coalesce } : {}),
    ...(deleteWait !== undefined ? { deleteWait } : {}),
    ...(taskQueue !== undefined ? { taskQueue } : {}),
  };
}

/**
 * Checks a waiting delete again: the same observation, decision and carry-out as the delete itself
 * (with the DeleteConflict safety net of src/iam/writes.ts), so it deletes the policy only once nothing
 * uses it. Its event already has its outcome (delete-pending); this records how the wait goes on or ends.
 */
async function checkDeferredDeletion(
  state: PolicyState,
  deletion: DeferredDeletion,
  deleteWait: DeleteWaitSettings,
): Promise<void> {
  const result = await applyEvent(state, deletion.event, { waitUntilUnused: true });
  const next = deferredDeletionAfterCheck(deletion, result, workflowTime(), deleteWait);
  if (next.status === 'pending') {
    // Still in use: nothing to report beyond the state (queries show the checks and the next one).
    state.deferredDeletion = next;
    return;
  }
  recordDeferredDeletion(state, next);
}

/**
 * A deferred deletion that began or ended: in the state (queries, starter policy), the desired state
 * the drift check reads, the policy workflow's Outcome search attribute, and the worker's metric and
 * log line (the `deletions` sink).
 */
function recordDeferredDeletion(state: PolicyState, deletion: DeferredDeletion): void {
  state.deferredDeletion = deletion;
  state.desired = desiredAfterDeletion(state.desired, deletion);
  // Only where the policy workflow was started with search attributes: the namespace then knows them.
  if (workflowInfo().typedSearchAttributes.get(POLICY_NAME) !== undefined) {
    upsertSearchAttributes([{ key: OUTCOME, value: deferredDeletionOutcome(deletion.status) }]);
  }
  deletions.changed(state.policyKey, deletion);
}

/**
 * Waits while the burst keeps arriving: quiet periods, one after another, until one passes with no
 * arrival or the window's bound is reached. Older events are settled as superseded as soon as a newer
 * one waits, so only the newest waits. One timer per quiet period, not one per arrival: Temporal fires
 * timers up to about a second late anyway (docs/decisions/burst-window.md), and restarting it costs history.
 */
async function gatherBurst(
  state: PolicyState,
  window: CoalesceWindow,
  stop: () => boolean,
  answer: () => Promise<void>,
): Promise<void> {
  const settle = async () => {
    supersedeWaiting(state);
    await answer();
  };
  const opened = workflowTime();
  for (;;) {
    await settle();
    const wait = nextQuietWait(window, workflowTime() - opened);
    if (wait === undefined) return;
    const arrivalsBefore = state.arrivals;
    const period = new CancellationScope();
    let periodOver = false;
    const timer = period
      .run(() => sleep(wait))
      .then(
        () => (periodOver = true),
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      );
    while (!periodOver && !stop()) {
      const seen = state.arrivals;
      await condition(() => periodOver || stop() || state.arrivals > seen);
      await settle();
    }
    if (!periodOver) {
      period.cancel();
      await timer;
      return;
    }
    if (state.arrivals === arrivalsBefore) return;
  }
}

/** The time of the workflow task being run: the sandbox's Date is replayed from history, not the clock. */
function workflowTime(): number {
  // eslint-disable-next-line no-restricted-properties -- inside the workflow sandbox this is workflow time
  return Date.now();
}

function lastApplied(state: PolicyState) {
  const position = state.lastApplied;
  if (!position) return {};
  const key = eventKey(position);
  const finished = [...state.recent].reverse().find((candidate) => candidate.key === key);
  return { position, result: finished?.result };
}

function pendingView(queued: QueuedEvent, phase: PendingEventView['state']): PendingEventView {
  const { source, id, type, sequence, time } = queued.event;
  return {
    source,
    id,
    type,
    ...(sequence !== undefined ? { sequence } : {}),
    ...(time ? { time } : {}),
    state: phase,
  };
}

/**
 * Gives each result in the outbox to the update handlers waiting for it; results asked for by signal stay
 * in the outbox to be sent. An update result with no handler waiting (the run that took the update handed
 * over) is dropped: its sender delivers again by signal and is answered from `recent`.
 */
function answerUpdates(state: PolicyState, waiting: Map<string, UpdateWaiter[]>): void {
  state.outbox = state.outbox.filter((item) => {
    const token = replyToken(item.result, item.replyTo);
    // A sender that stopped waiting and asked again by signal leaves its handler waiting: answer it too.
    for (const waiter of waiting.get(token) ?? []) waiter.result = item.result;
    waiting.delete(token);
    return item.replyBy !== 'update';
  });
}

/**
 * Results go to the event workflows through a local activity (one marker, in the workflow task that
 * applies the next event) instead of external-signal commands (two history events and a workflow task
 * of their own per event). Results answered by update are not in the outbox any more.
 */
async function sendResults(state: PolicyState): Promise<void> {
  const outgoing = state.outbox.splice(0);
  if (outgoing.length > 0) await messaging.sendEventResults(outgoing);
}

/** Observe, decide, act: the decision owns the outcome, so a retried write still reports it exactly. */
async function applyEvent(
  state: PolicyState,
  event: PolicyEvent,
  context: DecisionContext,
): Promise<EventResult> {
  const early = decideWithoutObserving(event);
  if (early) return fromNoWrite(event, early);
  for (let round = 1; ; round += 1) {
    try {
      return await observePlanAct(state, event, context);
    } catch (error) {
      // Only an activity's failure becomes an outcome. Anything else is a bug in workflow code: failing
      // the workflow task lets it retry once a fix is deployed.
      const failure = readActivityFailure(error);
      if (!failure) throw error;
      if (failure.kind === 'concurrentChange' && round < MAX_PLANNING_ROUNDS) {
        log.info('policy changed under the plan; observing again', { policy: event.policyName, round });
        continue;
      }
      if (failure.kind === 'rejectedInput') return rejected(event, failure.message);
      return resultWithoutWrites(event, 'failed', { reason: failure.message });
    }
  }
}

/**
 * Observes until IAM's reads show this workflow's own last write (src/domain/read-fence.ts): a stale
 * observation is read again with backoff, up to the bound; still stale then, the event fails (nothing
 * written, resubmittable). Without staleness this issues exactly the one observation.
 */
async function observeFresh(
  state: PolicyState,
  event: PolicyEvent,
): Promise<{ observation: PolicyObservation; stale?: string }> {
  for (let waits = 0; ; waits += 1) {
    const observation = await iam.inspectPolicy(observationInput(event));
    const bound = observation.guards.consistencyWaitMs ?? DEFAULT_CONSISTENCY_WAIT_MS;
    const verdict = fenceVerdict(state.fence, observation, workflowTime(), bound, waits);
    if (verdict.kind === 'decide') return { observation };
    if (verdict.kind === 'give-up') return { observation, stale: verdict.reason };
    log.info("IAM does not show this workflow's last write yet; observing again", {
      policy: event.policyName,
      reason: verdict.reason,
      waitMs: verdict.ms,
    });
    await sleep(verdict.ms);
  }
}

async function observePlanAct(
  state: PolicyState,
  event: PolicyEvent,
  context: DecisionContext,
): Promise<EventResult> {
  const { observation, stale } = await observeFresh(state, event);
  // Still stale at the bound: deciding on it could be wrong.
  if (stale) return resultWithoutWrites(event, 'failed', { reason: stale });
  const decision = decide(event, observation, context);
  if (decision.kind === 'none') return fromNoWrite(event, decision);
  let written: WriteResult;
  try {
    // The event rides along for the audit record of the version it makes (src/domain/audit-tags.ts).
    written = await writes.applyPlan(decision, { source: event.source, id: event.id });
  } catch (error) {
    // Some of the write may be done: the fence keeps only what it cannot have changed.
    state.fence = fenceAfterFailure(state.fence, decision);
    throw error;
  }
  state.fence = fenceAfterWrite(state.fence, decision, observation, written, workflowTime());
  const notes = [...(decision.kind === 'update' ? (decision.notes ?? []) : []), ...(written.notes ?? [])];
  return {
    ...eventIdentity(event),
    outcome: written.outcome,
    reason: written.reason,
    entities: written.entities,
    policyArn: written.policyArn,
    versionId: written.versionId,
    actions: written.actions,
    ...(notes.length > 0 ? { notes } : {}),
  };
}

function rejected(event: PolicyEvent, reason: string): EventResult {
  return resultWithoutWrites(event, 'rejected', { reason });
}

function fromNoWrite(event: PolicyEvent, decision: NoWrite): EventResult {
  const { reason, policyArn, versionId, entities, notes } = decision;
  return resultWithoutWrites(event, decision.outcome, {
    ...(reason !== undefined ? { reason } : {}),
    ...(policyArn !== undefined ? { policyArn } : {}),
    ...(versionId !== undefined ? { versionId } : {}),
    ...(entities !== undefined ? { entities } : {}),
    ...(notes && notes.length > 0 ? { notes } : {}),
  });
}
