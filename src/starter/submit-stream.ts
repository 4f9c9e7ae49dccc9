// Submits a stream of events with bounded concurrency. Deliveries of the same (source, id) go one after
// another so the first one is the one that starts the workflow and the others report `duplicate`.
import { UNSUCCESSFUL_OUTCOMES } from '../domain/types';
import { eventWorkflowId } from '../temporal/event-identity';
import type { InputItem } from '../sources/ndjson-input';
import { submitEvent, type SubmitOptions, type SubmitReport } from './submit';

export interface StreamOptions extends SubmitOptions {
  /** Events in flight at once. */
  concurrency: number;
}

export interface StreamSummary {
  total: number;
  byOutcome: Record<string, number>;
  /** True when any event ended rejected, conflict or failed. */
  anyUnsuccessful: boolean;
}

function keyOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { source, id } = value as { source?: unknown; id?: unknown };
  return typeof source === 'string' && typeof id === 'string' ? eventWorkflowId(source, id) : undefined;
}

export async function submitStream(
  items: AsyncIterable<InputItem>,
  options: StreamOptions,
  onReport: (report: SubmitReport) => void,
): Promise<StreamSummary> {
  const summary: StreamSummary = { total: 0, byOutcome: {}, anyUnsuccessful: false };
  const record = (report: SubmitReport): void => {
    summary.total += 1;
    summary.byOutcome[report.outcome] = (summary.byOutcome[report.outcome] ?? 0) + 1;
    if ((UNSUCCESSFUL_OUTCOMES as readonly string[]).includes(report.outcome)) summary.anyUnsuccessful = true;
    onReport(report);
  };

  const inFlight = new Set<Promise<void>>();
  const lastForKey = new Map<string, Promise<void>>();
  let failure: Error | undefined;

  const toError = (error: unknown) =>
    error instanceof Error ? error : new Error('event submission failed', { cause: error });
  try {
    for await (const item of items) {
      if (failure !== undefined) break;
      if ('error' in item) {
        record({ line: item.line, outcome: 'rejected', reason: `line ${item.line}: ${item.error}` });
        continue;
      }
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      const key = keyOf(item.value);
      const previous = key ? lastForKey.get(key) : undefined;
      const task: Promise<void> = (async () => {
        if (previous) await previous;
        const report = await submitEvent(item.value, options);
        if (report.outcome === 'rejected' && report.reason)
          report.reason = `line ${item.line}: ${report.reason}`;
        record({ ...report, line: item.line });
      })()
        .catch((error: unknown) => {
          failure ??= toError(error);
        })
        .finally(() => {
          inFlight.delete(task);
          if (key && lastForKey.get(key) === task) lastForKey.delete(key);
        });
      inFlight.add(task);
      if (key) lastForKey.set(key, task);
    }
  } catch (error) {
    // The input broke off (a read error): what was read is still submitted and reported first.
    failure ??= toError(error);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return summary;
}
