// The drift check's Temporal Schedule: one per task queue, created or brought up to date by the worker at
// start (DRIFT_CHECK_INTERVAL_MS, DRIFT_REPAIR, DRIFT_PATH_PREFIX), removed when the interval is 0. Safe to
// run from every worker at every start: an unchanged schedule is left alone, a paused one stays paused.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import type { ReconcileInput } from '../messages/drift-contracts';
import type { reconcileWorkflow } from '../workflows/reconcile-workflow';

export interface DriftScheduleConfig {
  taskQueue: string;
  /** Milliseconds between checks; 0: no schedule (an existing one is removed). */
  intervalMs: number;
  repair: boolean;
  pathPrefix: string;
  searchAttributes: boolean;
}

/** What ensureDriftSchedule did. */
export type DriftScheduleChange = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent';

export function driftScheduleId(taskQueue: string): string {
  return `drift-check/${taskQueue}`;
}

function inputOf(config: DriftScheduleConfig): ReconcileInput {
  return { repair: config.repair, pathPrefix: config.pathPrefix, searchAttributes: config.searchAttributes };
}

function scheduleOf(config: DriftScheduleConfig) {
  return {
    spec: { intervals: [{ every: config.intervalMs }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'reconcileWorkflow',
      // The server appends the time of each run.
      workflowId: driftScheduleId(config.taskQueue),
      taskQueue: config.taskQueue,
      args: [inputOf(config)] as Parameters<typeof reconcileWorkflow>,
      staticSummary: `drift check of the policies under ${config.pathPrefix} (repair ${config.repair ? 'on' : 'off'})`,
    },
    // One check at a time; a check missed while the server was down is not made up for later.
    policies: { overlap: 'SKIP' as const, catchupWindow: 60_000 },
  };
}

/** Whether the schedule already starts this check at this interval. */
function isCurrent(description: ScheduleDescription, config: DriftScheduleConfig): boolean {
  const { action } = description;
  const interval = description.spec.intervals?.[0];
  return (
    description.spec.intervals?.length === 1 &&
    interval?.every === config.intervalMs &&
    action.type === 'startWorkflow' &&
    action.workflowType === 'reconcileWorkflow' &&
    action.taskQueue === config.taskQueue &&
    JSON.stringify(action.args) === JSON.stringify([inputOf(config)])
  );
}

/** Creates, updates or removes the drift check's schedule so that it matches `config`. */
export async function ensureDriftSchedule(
  client: Client,
  config: DriftScheduleConfig,
): Promise<DriftScheduleChange> {
  const scheduleId = driftScheduleId(config.taskQueue);
  const handle = client.schedule.getHandle(scheduleId);
  if (config.intervalMs <= 0) {
    try {
      await handle.delete();
      return 'removed';
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return 'absent';
      throw error;
    }
  }
  const wanted = scheduleOf(config);
  try {
    await client.schedule.create({ scheduleId, ...wanted });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  if (isCurrent(await handle.describe(), config)) return 'unchanged';
  // The previous state (paused or not, its note) is kept: an operator's pause outlives worker restarts.
  await handle.update((previous) => ({ ...previous, ...wanted }));
  return 'updated';
}
