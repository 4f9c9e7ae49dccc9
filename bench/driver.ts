// Submits a stream through the starter library (submitEvent with wait) and times each event from its
// submission to its final outcome, either at full speed with a fixed number in flight, or paced at an
// offered rate (open loop: an event's clock starts at its scheduled time, whether or not it could go).
import type { Client } from '@temporalio/client';
import { submitEvent, type ReportedOutcome } from '../src/starter/submit';
import { eventWorkflowId } from '../src/temporal/event-identity';
import { log } from './progress';
import type { BenchEvent } from './stream';

export interface Timed {
  /** Position in the stream. */
  index: number;
  kind: BenchEvent['kind'];
  outcome: ReportedOutcome;
  reason?: string;
  /** performance.now() when the event was submitted (at full speed) or due (paced). */
  submittedAt: number;
  finishedAt: number;
}

export interface DriveOptions {
  client: Client;
  taskQueue: string;
  /** TEMPORAL_ACCOUNT_TASK_QUEUES: events naming one of these start on its own queue. */
  accountTaskQueues?: readonly string[];
  /** Events per second; 0 submits as fast as `concurrency` allows. */
  rate: number;
  /** Events in flight at once at full speed (the starter CLI's --concurrency). */
  concurrency: number;
  reservedTagKeys: string[];
  onFinished?: (timed: Timed, inFlight: number) => void;
  /** After this long without an outcome an event is reported on stderr, with its workflow's state (120 s). */
  stuckAfterMs?: number;
}

/** Says on stderr which event has waited too long and where its workflow is, so a hung run can be read. */
async function reportStuck(client: Client, raw: BenchEvent['raw'], waitedMs: number): Promise<void> {
  const workflowId = eventWorkflowId(String(raw.source), String(raw.id));
  let state: string;
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    const pending = (description.raw.pendingActivities ?? [])
      .map(
        (a) =>
          `${a.activityType?.name ?? '?'} attempt ${a.attempt}${a.lastFailure?.message ? `: ${a.lastFailure.message}` : ''}`,
      )
      .join('; ');
    state = `${description.status.name}, history ${description.historyLength} events${pending ? `, pending ${pending}` : ''}`;
  } catch (error) {
    state = `not described: ${error instanceof Error ? error.message : String(error)}`;
  }
  log(`no outcome after ${Math.round(waitedMs / 1000)} s: ${workflowId} (${state})`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function drive(events: readonly BenchEvent[], options: DriveOptions): Promise<Timed[]> {
  const results: Timed[] = [];
  // Deliveries of one (source, id) go one after another, as submitStream does: the first starts the
  // workflow, the later ones find it and report `duplicate`.
  const lastForKey = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  const start = performance.now();

  for (const [index, event] of events.entries()) {
    if (failure !== undefined) break;
    let submittedAt: number;
    if (options.rate > 0) {
      submittedAt = start + (index * 1000) / options.rate;
      const wait = submittedAt - performance.now();
      if (wait > 0) await sleep(wait);
    } else {
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      submittedAt = performance.now();
    }
    const previous = lastForKey.get(event.key);
    const task: Promise<void> = (async () => {
      if (previous) await previous;
      const stuckAfterMs = options.stuckAfterMs ?? 120_000;
      const stuck = setTimeout(() => void reportStuck(options.client, event.raw, stuckAfterMs), stuckAfterMs);
      const report = await submitEvent(event.raw, {
        client: options.client,
        taskQueue: options.taskQueue,
        ...(options.accountTaskQueues ? { accountTaskQueues: options.accountTaskQueues } : {}),
        wait: true,
        reservedTagKeys: options.reservedTagKeys,
      }).finally(() => clearTimeout(stuck));
      const timed: Timed = {
        index,
        kind: event.kind,
        outcome: report.outcome,
        ...(report.reason ? { reason: report.reason } : {}),
        submittedAt,
        finishedAt: performance.now(),
      };
      results.push(timed);
      options.onFinished?.(timed, inFlight.size - 1);
    })()
      .catch((error: unknown) => {
        failure ??= error instanceof Error ? error : new Error('event submission failed', { cause: error });
      })
      .finally(() => {
        inFlight.delete(task);
        if (lastForKey.get(event.key) === task) lastForKey.delete(event.key);
      });
    inFlight.add(task);
    lastForKey.set(event.key, task);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return results.sort((a, b) => a.index - b.index);
}
