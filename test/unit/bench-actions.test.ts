// Temporal Cloud Actions as the bench counts them (bench/actions.ts): from a recorded history by the
// published billing rules, and from the server's `action` counter, sorted into the same kinds.
import {
  billedItems,
  costPerMillionEvents,
  countsBetween,
  differences,
  kindOfServerAction,
  parseActionCounter,
  tallyItems,
  tallyServerCounts,
  type BillingEvent,
} from '../../bench/actions';

/** An event at second `s` of the run (ids follow the position). */
const at = (s: number, attributes: Omit<BillingEvent, 'eventId' | 'eventTime'>): BillingEvent => ({
  eventTime: { seconds: s, nanos: 0 },
  ...attributes,
});
const wft = (s: number): BillingEvent[] => [
  at(s, {}), // scheduled, started, completed: no Action of their own
  at(s, {}),
  at(s, {}),
];

describe('billed Actions from a history', () => {
  it('an event workflow: its start, the local activities of its one task, the upsert of its outcome', () => {
    const history: BillingEvent[] = [
      at(1, { workflowExecutionStartedEventAttributes: {} }),
      ...wft(1),
      at(1, { markerRecordedEventAttributes: { workflowTaskCompletedEventId: 4 } }),
      at(1, {
        upsertWorkflowSearchAttributesEventAttributes: {
          searchAttributes: { indexedFields: { Outcome: 'x' } },
        },
      }),
      at(1, {}), // completed
    ];
    const tally = tallyItems(billedItems(history));
    expect(tally).toMatchObject({
      workflowStarted: 1,
      localActivities: 1,
      searchAttributeUpsert: 1,
      total: 3,
    });
  });

  it('markers count once per workflow task, however many', () => {
    const history: BillingEvent[] = [
      at(1, { markerRecordedEventAttributes: { workflowTaskCompletedEventId: 4 } }),
      at(1, { markerRecordedEventAttributes: { workflowTaskCompletedEventId: 4 } }),
      at(2, { markerRecordedEventAttributes: { workflowTaskCompletedEventId: 9 } }),
    ];
    expect(tallyItems(billedItems(history))).toMatchObject({ localActivities: 2, total: 2 });
  });

  it('an update, a timer and an activity with its retries (the started event carries the last attempt)', () => {
    const history: BillingEvent[] = [
      at(1, { workflowExecutionUpdateAcceptedEventAttributes: {} }),
      at(1, { timerStartedEventAttributes: {} }),
      at(2, { activityTaskScheduledEventAttributes: {} }),
      at(5, { activityTaskStartedEventAttributes: { attempt: 3 } }),
    ];
    expect(tallyItems(billedItems(history))).toMatchObject({
      update: 1,
      timer: 1,
      activity: 1,
      activityRetry: 2,
      total: 5,
    });
  });

  it('signal-with-start costs 1 in all; a signal from another workflow is counted at its sender', () => {
    const started: BillingEvent[] = [
      at(1, { workflowExecutionStartedEventAttributes: {} }),
      at(1, { workflowExecutionSignaledEventAttributes: {} }),
      ...wft(1),
      at(2, { workflowExecutionSignaledEventAttributes: {} }),
      at(3, { workflowExecutionSignaledEventAttributes: { externalWorkflowExecution: { workflowId: 'w' } } }),
      at(3, { signalExternalWorkflowExecutionInitiatedEventAttributes: {} }),
    ];
    expect(tallyItems(billedItems(started))).toMatchObject({ workflowStarted: 0, signal: 3, total: 3 });
  });

  it('continue-as-new is 1, and the run it starts is not a second start', () => {
    const first: BillingEvent[] = [
      at(1, { workflowExecutionStartedEventAttributes: {} }),
      at(2, { workflowExecutionContinuedAsNewEventAttributes: {} }),
    ];
    const next: BillingEvent[] = [
      at(2, { workflowExecutionStartedEventAttributes: { continuedExecutionRunId: 'r1' } }),
    ];
    expect(tallyItems([...billedItems(first), ...billedItems(next)])).toMatchObject({
      workflowStarted: 1,
      continueAsNew: 1,
      total: 2,
    });
  });

  it('a TemporalChangeVersion upsert alone is free; a child workflow is 2', () => {
    const history: BillingEvent[] = [
      at(1, {
        upsertWorkflowSearchAttributesEventAttributes: {
          searchAttributes: { indexedFields: { TemporalChangeVersion: 'x' } },
        },
      }),
      at(1, { startChildWorkflowExecutionInitiatedEventAttributes: {} }),
    ];
    expect(tallyItems(billedItems(history))).toMatchObject({
      searchAttributeUpsert: 0,
      childWorkflow: 2,
      total: 2,
    });
  });

  it('a window keeps what happened within it, by event time', () => {
    const history: BillingEvent[] = [
      at(10, { workflowExecutionUpdateAcceptedEventAttributes: {} }),
      at(20, { workflowExecutionUpdateAcceptedEventAttributes: {} }),
      at(30, { workflowExecutionUpdateAcceptedEventAttributes: {} }),
    ];
    expect(tallyItems(billedItems(history), { from: 15_000, to: 30_000 }).total).toBe(1);
  });
});

describe("the server's action counter", () => {
  const exposition = [
    '# HELP action action counter',
    '# TYPE action counter',
    'action{action_type="grpc_StartWorkflowExecution",namespace="default",operation="StartWorkflowExecution",service_name="frontend"} 12',
    'action{action_type="grpc_StartWorkflowExecution",namespace="temporal_system",operation="StartWorkflowExecution",service_name="frontend"} 2',
    'action{action_type="command_BatchMarkers",namespace="default",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 7',
    'action{action_type="command_RecordMarker",namespace="default",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 9',
    'action{action_type="message_UpdateWorkflowExecution:Acceptance",namespace="default",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 5',
    'service_requests{namespace="default",operation="StartWorkflowExecution"} 40',
  ].join('\n');

  it('reads one namespace by action type', () => {
    expect(parseActionCounter(exposition)).toEqual({
      grpc_StartWorkflowExecution: 12,
      command_BatchMarkers: 7,
      command_RecordMarker: 9,
      'message_UpdateWorkflowExecution:Acceptance': 5,
    });
    expect(parseActionCounter(exposition, 'temporal_system')).toEqual({ grpc_StartWorkflowExecution: 2 });
  });

  it("sums the types into the kinds of the billing rules, a workflow task's markers once", () => {
    const byType = countsBetween(
      { grpc_StartWorkflowExecution: 2, command_BatchMarkers: 1 },
      parseActionCounter(exposition),
    );
    expect(byType).toEqual({
      grpc_StartWorkflowExecution: 10,
      command_BatchMarkers: 6,
      command_RecordMarker: 9,
      'message_UpdateWorkflowExecution:Acceptance': 5,
    });
    expect(tallyServerCounts(byType)).toMatchObject({
      workflowStarted: 10,
      localActivities: 6,
      update: 5,
      total: 21,
    });
  });

  it('maps the types the service causes, and keeps unknown ones apart', () => {
    expect(kindOfServerAction('grpc_SignalWithStartWorkflowExecution')).toBe('signal');
    expect(kindOfServerAction('grpc_ExecuteMultiOperation')).toBe('workflowStarted');
    expect(kindOfServerAction('message_UpdateWorkflowExecution_Acceptance')).toBe('update');
    expect(kindOfServerAction('command_ScheduleActivityTask')).toBe('activity');
    expect(kindOfServerAction('activity_retry')).toBe('activityRetry');
    expect(kindOfServerAction('command_StartTimer')).toBe('timer');
    expect(kindOfServerAction('command_UpsertWorkflowSearchAttributes')).toBe('searchAttributeUpsert');
    expect(kindOfServerAction('command_ContinueAsNewWorkflowExecution')).toBe('continueAsNew');
    expect(kindOfServerAction('command_RecordMarker_core_local_activity')).toBeUndefined();
    expect(kindOfServerAction('grpc_RecordActivityTaskHeartbeat')).toBe('activityHeartbeat');
    expect(kindOfServerAction('grpc_QueryWorkflow')).toBe('other');
  });

  it('names the kinds where the two counts differ', () => {
    const history = tallyItems(billedItems([at(1, { workflowExecutionStartedEventAttributes: {} })]));
    expect(differences(history, tallyServerCounts({ grpc_StartWorkflowExecution: 1 }))).toEqual([]);
    expect(differences(history, tallyServerCounts({ command_StartTimer: 1 }))).toEqual([
      'workflowStarted: 1/0',
      'timer: 0/1',
    ]);
    // Heartbeats leave no history: they are not a difference.
    const withHeartbeats = tallyServerCounts({
      grpc_StartWorkflowExecution: 1,
      grpc_RecordActivityTaskHeartbeat: 2,
    });
    expect(differences(history, withHeartbeats)).toEqual([]);
  });

  it('prices events at $50 per million Actions', () => {
    expect(costPerMillionEvents(4)).toBe(200);
  });
});
