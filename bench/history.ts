// Temporal's side of a run: history events per event (event workflows plus policy workflows, every
// run of them), and where time goes inside workflows, read from a sample of histories.
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { latencySummary, type LatencySummary } from './stats';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

export interface HistoryCounts {
  eventWorkflows: number;
  eventWorkflowEvents: number;
  /** The histories' size as the server counts it (bytes of the encoded events). */
  eventWorkflowBytes: number;
  policyWorkflowRuns: number;
  policyWorkflowEvents: number;
  policyWorkflowBytes: number;
}

export interface TaskProfile {
  /** Workflow task: scheduled → picked up by the worker (queueing in Temporal and the worker). */
  workflowTaskQueueMs: LatencySummary;
  /** Workflow task: picked up → completed (the worker running workflow code, plus the round trip). */
  workflowTaskRunMs: LatencySummary;
  /** Per activity type: scheduled → started, started → completed. */
  activities: Record<string, { queueMs: LatencySummary; runMs: LatencySummary }>;
  /** Event workflows: start → their event handed to the policy workflow → outcome signal → closed. */
  eventPhasesMs: { deliver: LatencySummary; awaitOutcome: LatencySummary; close: LatencySummary };
  sampledHistories: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Execution {
  workflowId: string;
  /** Empty: the latest run. */
  runId: string;
  type: string;
  running: boolean;
  historyLength: number;
  historySize: number;
}

async function listExecutions(client: Client, taskQueue: string): Promise<Execution[]> {
  const executions: Execution[] = [];
  for await (const info of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    executions.push({
      workflowId: info.workflowId,
      runId: info.runId,
      type: info.type,
      running: info.status.name === 'RUNNING',
      historyLength: info.historyLength,
      historySize: info.historySize ?? 0,
    });
  }
  return executions;
}

/**
 * Sums history lengths. Visibility is updated asynchronously, so the list is read until it shows
 * `expectedEventWorkflows` closed event workflows. Running workflows (policy workflows wait for more
 * events) show no length in the list: they are described one by one.
 */
export async function countHistories(
  client: Client,
  taskQueue: string,
  expectedEventWorkflows: number,
): Promise<{ counts: HistoryCounts; executions: Execution[] }> {
  let executions: Execution[] = [];
  for (let attempt = 0; attempt < 30; attempt += 1) {
    executions = await listExecutions(client, taskQueue);
    const closedEvents = executions.filter((e) => e.type === 'eventWorkflow' && !e.running).length;
    if (closedEvents >= expectedEventWorkflows) break;
    if (attempt === 29) {
      process.stderr.write(
        `bench: visibility lists ${closedEvents} of ${expectedEventWorkflows} event workflows; counting those\n`,
      );
    }
    await sleep(500);
  }
  const counts: HistoryCounts = {
    eventWorkflows: 0,
    eventWorkflowEvents: 0,
    eventWorkflowBytes: 0,
    policyWorkflowRuns: 0,
    policyWorkflowEvents: 0,
    policyWorkflowBytes: 0,
  };
  for (const execution of executions) {
    let { historyLength: length, historySize: bytes } = execution;
    if (execution.running || length === 0 || bytes === 0) {
      const described = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
      length = described.historyLength;
      bytes = described.historySize ?? 0;
    }
    if (execution.type === 'eventWorkflow') {
      counts.eventWorkflows += 1;
      counts.eventWorkflowEvents += length;
      counts.eventWorkflowBytes += bytes;
    } else {
      counts.policyWorkflowRuns += 1;
      counts.policyWorkflowEvents += length;
      counts.policyWorkflowBytes += bytes;
    }
  }
  return { counts, executions };
}

const timeOf = (event: HistoryEvent) => tsToMs(event.eventTime);
const idOf = (event: HistoryEvent) => Number(event.eventId);

/** Collects task timings from one history into the given arrays. */
function profileHistory(
  events: HistoryEvent[],
  into: {
    wftQueue: number[];
    wftRun: number[];
    activity: Map<string, { queue: number[]; run: number[] }>;
    deliver: number[];
    awaitOutcome: number[];
    close: number[];
  },
): void {
  const scheduled = new Map<number, number>();
  const started = new Map<number, number>();
  const activityTypes = new Map<number, string>();
  let workflowStart: number | undefined;
  let deliveredAt: number | undefined;
  let signaledAt: number | undefined;
  for (const event of events) {
    const at = timeOf(event);
    if (event.workflowExecutionStartedEventAttributes) workflowStart = at;
    if (event.workflowTaskScheduledEventAttributes) scheduled.set(idOf(event), at);
    const wftStarted = event.workflowTaskStartedEventAttributes;
    if (wftStarted) {
      started.set(idOf(event), at);
      const from = scheduled.get(Number(wftStarted.scheduledEventId));
      if (from !== undefined) into.wftQueue.push(at - from);
    }
    const wftCompleted = event.workflowTaskCompletedEventAttributes;
    if (wftCompleted) {
      const from = started.get(Number(wftCompleted.startedEventId));
      if (from !== undefined) into.wftRun.push(at - from);
    }
    const actScheduled = event.activityTaskScheduledEventAttributes;
    if (actScheduled) {
      scheduled.set(idOf(event), at);
      activityTypes.set(idOf(event), actScheduled.activityType?.name ?? '?');
    }
    const actStarted = event.activityTaskStartedEventAttributes;
    if (actStarted) {
      started.set(idOf(event), at);
      const type = activityTypes.get(Number(actStarted.scheduledEventId)) ?? '?';
      const from = scheduled.get(Number(actStarted.scheduledEventId));
      const bucket = into.activity.get(type) ?? { queue: [], run: [] };
      into.activity.set(type, bucket);
      if (from !== undefined) bucket.queue.push(at - from);
    }
    const actCompleted = event.activityTaskCompletedEventAttributes;
    if (actCompleted) {
      const type = activityTypes.get(Number(actCompleted.scheduledEventId)) ?? '?';
      const from = started.get(Number(actCompleted.startedEventId));
      if (from !== undefined) into.activity.get(type)?.run.push(at - from);
      if (type === 'deliverEvent' && deliveredAt === undefined) deliveredAt = at;
    }
    // A local activity (the profiling variant) leaves a marker when its workflow task completes.
    if (event.markerRecordedEventAttributes && deliveredAt === undefined) deliveredAt = at;
    if (event.workflowExecutionSignaledEventAttributes && signaledAt === undefined) signaledAt = at;
    if (event.workflowExecutionCompletedEventAttributes && workflowStart !== undefined) {
      if (deliveredAt !== undefined) into.deliver.push(deliveredAt - workflowStart);
      if (deliveredAt !== undefined && signaledAt !== undefined)
        into.awaitOutcome.push(signaledAt - deliveredAt);
      if (signaledAt !== undefined) into.close.push(at - signaledAt);
    }
  }
}

/** Reads up to `sampleSize` event workflow histories (spread over the run) and every policy workflow run. */
export async function profileTasks(
  client: Client,
  executions: readonly Execution[],
  sampleSize: number,
): Promise<TaskProfile> {
  const eventRuns = executions.filter((e) => e.type === 'eventWorkflow');
  const step = Math.max(1, Math.floor(eventRuns.length / Math.max(1, sampleSize)));
  const sample = [
    ...eventRuns.filter((_, i) => i % step === 0).slice(0, sampleSize),
    ...executions.filter((e) => e.type !== 'eventWorkflow'),
  ];
  const into = {
    wftQueue: [] as number[],
    wftRun: [] as number[],
    activity: new Map<string, { queue: number[]; run: number[] }>(),
    deliver: [] as number[],
    awaitOutcome: [] as number[],
    close: [] as number[],
  };
  for (const execution of sample) {
    const history = await client.workflow
      .getHandle(execution.workflowId, execution.runId || undefined)
      .fetchHistory();
    profileHistory(history.events ?? [], into);
  }
  return {
    workflowTaskQueueMs: latencySummary(into.wftQueue),
    workflowTaskRunMs: latencySummary(into.wftRun),
    activities: Object.fromEntries(
      [...into.activity].map(([type, { queue, run }]) => [
        type,
        { queueMs: latencySummary(queue), runMs: latencySummary(run) },
      ]),
    ),
    eventPhasesMs: {
      deliver: latencySummary(into.deliver),
      awaitOutcome: latencySummary(into.awaitOutcome),
      close: latencySummary(into.close),
    },
    sampledHistories: sample.length,
  };
}
