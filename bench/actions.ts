// Temporal Cloud Actions, counted two ways: from recorded histories by Temporal's published billing rules
// (docs.temporal.io/cloud/actions), and from the server's own `action` counter (Prometheus, the dev
// server's --metrics-port). Both are sorted into the same kinds, so a difference shows where it is.
//
// The rules as read from histories:
// - a workflow start: 1; a start refused for an ID already taken leaves no history and costs nothing;
//   a run started by continue-as-new is counted at its predecessor's ContinuedAsNew event instead;
// - signal-with-start: 1 in all, whether it started the workflow or not: its signal (a start by it is
//   the WorkflowExecutionStarted event followed at once by the Signaled event);
// - a signal: 1 (one sent by another workflow is counted at the sender's SignalExternal... event);
// - an update: 1 per accepted update (the update of an update-with-start is in addition to its start);
//   rejected updates leave no history (the policy workflow rejects none);
// - a timer: 1 (a `condition` with a timeout is one);
// - a search attribute upsert: 1 per command, set at start: free; TemporalChangeVersion alone: free;
// - an activity: 1 per attempt (scheduled, plus the retries its started event's attempt number shows);
// - local activities: 1 for all the markers one workflow task records (the server's
//   command_BatchMarkers); a workflow task heartbeat while a local activity runs past 80 % of the task
//   timeout would cost 1 more: neither the histories nor the server's counter show those, and the local
//   activities here end well before (the longest waits 5 s for its answer; the task timeout is 10 s);
// - a child workflow: 2; a WorkflowExecutionOptionsUpdated event: 1.
// Activity heartbeats that reach the server (the IAM write heartbeats when it runs past a second) and
// queries are billed but leave no history: only the server's counter has them (activityHeartbeat,
// other), and Temporal's own estimate from histories leaves them out as well.

/** What one billed Action is for. */
export const ACTION_KINDS = [
  'workflowStarted',
  'signal',
  'update',
  'timer',
  'searchAttributeUpsert',
  'activity',
  'activityRetry',
  'localActivities',
  'continueAsNew',
  'childWorkflow',
  'optionsUpdated',
  /** Only in the server's counter: activity heartbeats that reached it. */
  'activityHeartbeat',
  /** Only in the server's counter: queries, rejected updates, schedules, anything new. */
  'other',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Kinds a history cannot show: the two counts are compared without them. */
export const SERVER_ONLY_KINDS: readonly ActionKind[] = ['activityHeartbeat'];

export type ActionTally = Record<ActionKind, number> & { total: number };

/** The low-volume Pay-As-You-Go list price (first 5 million Actions a month), USD per million Actions. */
export const LIST_PRICE_PER_MILLION_ACTIONS_USD = 50;

/** The parts of a history event the rules read; the SDK's history events fit it. */
export interface BillingEvent {
  eventId?: unknown;
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
  workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string | null } | null;
  workflowExecutionContinuedAsNewEventAttributes?: object | null;
  workflowExecutionSignaledEventAttributes?: { externalWorkflowExecution?: object | null } | null;
  signalExternalWorkflowExecutionInitiatedEventAttributes?: object | null;
  workflowExecutionUpdateAcceptedEventAttributes?: object | null;
  timerStartedEventAttributes?: object | null;
  upsertWorkflowSearchAttributesEventAttributes?: {
    searchAttributes?: { indexedFields?: Record<string, unknown> | null } | null;
  } | null;
  activityTaskScheduledEventAttributes?: object | null;
  activityTaskStartedEventAttributes?: { attempt?: number | null } | null;
  markerRecordedEventAttributes?: { workflowTaskCompletedEventId?: unknown } | null;
  startChildWorkflowExecutionInitiatedEventAttributes?: object | null;
  workflowExecutionOptionsUpdatedEventAttributes?: object | null;
}

/** Actions of one kind at one moment (ms since the epoch, the server's event time). */
export interface BilledItem {
  kind: ActionKind;
  at: number;
  count: number;
}

function eventMs(event: BillingEvent): number {
  const time = event.eventTime;
  if (!time) return 0;
  return Number(time.seconds ?? 0) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

const CHANGE_VERSION_ATTRIBUTE = 'TemporalChangeVersion';

/** The billed Actions recorded in one run's history, in history order. */
export function billedItems(events: readonly BillingEvent[]): BilledItem[] {
  const items: BilledItem[] = [];
  const markerTasks = new Set<number>();
  const add = (kind: ActionKind, event: BillingEvent, count = 1) => {
    if (count > 0) items.push({ kind, at: eventMs(event), count });
  };
  for (const [index, event] of events.entries()) {
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      if (started.continuedExecutionRunId) continue;
      // Signal-with-start costs 1 in all, whether it starts the workflow or not: its signal.
      const next = events[index + 1]?.workflowExecutionSignaledEventAttributes;
      if (!next || next.externalWorkflowExecution) add('workflowStarted', event);
      continue;
    }
    const signalled = event.workflowExecutionSignaledEventAttributes;
    if (signalled) {
      if (!signalled.externalWorkflowExecution) add('signal', event);
      continue;
    }
    if (event.workflowExecutionContinuedAsNewEventAttributes) add('continueAsNew', event);
    else if (event.signalExternalWorkflowExecutionInitiatedEventAttributes) add('signal', event);
    else if (event.workflowExecutionUpdateAcceptedEventAttributes) add('update', event);
    else if (event.timerStartedEventAttributes) add('timer', event);
    else if (event.upsertWorkflowSearchAttributesEventAttributes) {
      const fields = Object.keys(
        event.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {},
      );
      if (!(fields.length === 1 && fields[0] === CHANGE_VERSION_ATTRIBUTE))
        add('searchAttributeUpsert', event);
    } else if (event.activityTaskScheduledEventAttributes) add('activity', event);
    else if (event.activityTaskStartedEventAttributes) {
      add('activityRetry', event, (event.activityTaskStartedEventAttributes.attempt ?? 1) - 1);
    } else if (event.markerRecordedEventAttributes) {
      const task = Number(event.markerRecordedEventAttributes.workflowTaskCompletedEventId ?? 0);
      if (!markerTasks.has(task)) {
        markerTasks.add(task);
        add('localActivities', event);
      }
    } else if (event.startChildWorkflowExecutionInitiatedEventAttributes) add('childWorkflow', event, 2);
    else if (event.workflowExecutionOptionsUpdatedEventAttributes) add('optionsUpdated', event);
  }
  return items;
}

export function emptyTally(): ActionTally {
  const tally = Object.fromEntries(ACTION_KINDS.map((kind) => [kind, 0])) as Record<ActionKind, number>;
  return { ...tally, total: 0 };
}

/** Sums items, only those at `from` ≤ at < `to` when a window is given. */
export function tallyItems(items: readonly BilledItem[], window?: { from: number; to: number }): ActionTally {
  const tally = emptyTally();
  for (const item of items) {
    if (window && (item.at < window.from || item.at >= window.to)) continue;
    tally[item.kind] += item.count;
    tally.total += item.count;
  }
  return tally;
}

/**
 * Which kind an `action_type` of the server's counter is. `undefined` for the per-marker counts
 * (command_RecordMarker...), which billing replaces by one per workflow task (command_BatchMarkers).
 */
export function kindOfServerAction(actionType: string): ActionKind | undefined {
  if (actionType.startsWith('command_RecordMarker')) return undefined;
  switch (actionType) {
    // ExecuteMultiOperation: an update-with-start that started the workflow; its update is counted apart,
    // when the worker accepts it.
    case 'grpc_StartWorkflowExecution':
    case 'grpc_ExecuteMultiOperation':
      return 'workflowStarted';
    case 'grpc_SignalWithStartWorkflowExecution':
    case 'grpc_SignalWorkflowExecution':
    case 'command_SignalExternalWorkflowExecution':
      return 'signal';
    case 'message_UpdateWorkflowExecution:Acceptance':
    case 'message_UpdateWorkflowExecution_Acceptance':
      return 'update';
    case 'command_StartTimer':
      return 'timer';
    case 'command_UpsertWorkflowSearchAttributes':
      return 'searchAttributeUpsert';
    case 'command_ScheduleActivityTask':
      return 'activity';
    case 'activity_retry':
      return 'activityRetry';
    case 'command_BatchMarkers':
      return 'localActivities';
    case 'grpc_RecordActivityTaskHeartbeat':
    case 'grpc_RecordActivityTaskHeartbeatById':
      return 'activityHeartbeat';
    case 'command_ContinueAsNewWorkflowExecution':
      return 'continueAsNew';
    case 'command_StartChildWorkflowExecution':
    case 'command_StartChildWorkflowExecution_Extra':
      return 'childWorkflow';
    default:
      return 'other';
  }
}

/** The server's counts by action type, summed into kinds. */
export function tallyServerCounts(byType: Readonly<Record<string, number>>): ActionTally {
  const tally = emptyTally();
  for (const [type, count] of Object.entries(byType)) {
    const kind = kindOfServerAction(type);
    if (kind === undefined) continue;
    tally[kind] += count;
    tally.total += count;
  }
  return tally;
}

/** The `action` counter of a Prometheus text exposition, by action_type, for one namespace. */
export function parseActionCounter(text: string, namespace = 'default'): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^action\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...match[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]),
    );
    if (labels.namespace !== namespace || labels.action_type === undefined) continue;
    const value = Number(match[2]);
    if (!Number.isFinite(value)) continue;
    counts[labels.action_type] = (counts[labels.action_type] ?? 0) + value;
  }
  return counts;
}

/** Counts between two readings of the counter (types that did not move left out). */
export function countsBetween(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [type, count] of Object.entries(after)) {
    const moved = count - (before[type] ?? 0);
    if (moved !== 0) delta[type] = moved;
  }
  return delta;
}

/**
 * Kinds where the two tallies differ, as `kind: history/server`; empty when they agree. Kinds only the
 * server can count (SERVER_ONLY_KINDS) are left out.
 */
export function differences(history: ActionTally, server: ActionTally): string[] {
  return ACTION_KINDS.filter(
    (kind) => !SERVER_ONLY_KINDS.includes(kind) && history[kind] !== server[kind],
  ).map((kind) => `${kind}: ${history[kind]}/${server[kind]}`);
}

/** USD per million events at `actionsPerEvent`, at the low-volume list price. */
export function costPerMillionEvents(actionsPerEvent: number): number {
  return actionsPerEvent * LIST_PRICE_PER_MILLION_ACTIONS_USD;
}
