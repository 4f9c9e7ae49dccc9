// Submits a stream through the starter library (submitEvent with wait) and times each event from its
// submission to its final outcome, either at full speed with a fixed number in flight, or paced at an
// offered rate (open loop: an event's clock starts at its scheduled time, whether or not it could go).
import type { Client } from '@temporalio/client';
import { submitEvent, type ReportedOutcome } from '../src/starter/submit';
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
      const report = await submitEvent(event.raw, {
        client: options.client,
        taskQueue: options.taskQueue,
        ...(options.accountTaskQueues ? { accountTaskQueues: options.accountTaskQueues } : {}),
        wait: true,
        reservedTagKeys: options.reservedTagKeys,
      });
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
