// Submits a stream of events with bounded concurrency. Deliveries of the same (source, id) go one after
// another so the first one is the one that starts the workflow and the others report `duplicate`.
import { ConfigError } from '../config/environment';
import { UNSUCCESSFUL_OUTCOMES } from '../domain/types';
import { eventWorkflowId } from '../temporal/event-identity';
import type { InputItem } from '../sources/ndjson-input';
import { submitEvent, type SubmitOptions, type SubmitReport } from './submit';

export interface StreamOptions extends SubmitOptions {
  /** Events in flight at once. */
  concurrency: number;
  /**
   * How long to keep retrying while Temporal is unavailable (from the first failure of an outage: an
   * attempt fails after `requestTimeoutMs` at most), before giving up with a StreamInterrupted.
   * Resubmitting is safe: a start that did reach Temporal comes back as a duplicate. Default 0: give
   * up at once.
   */
  retryForMs?: number;
  /** Called at most every few seconds while retrying: for progress on stderr. */
  onRetry?(info: { cause: string; outageMs: number; retryForMs: number }): void;
}

/** Submission stopped because Temporal stayed unavailable: not an input problem. */
export class StreamInterrupted extends Error {
  constructor(
    message: string,
    readonly reported: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const RETRY_PAUSE_MS = [500, 1000, 2000, 5000];
const RETRY_REPORT_EVERY_MS = 5000;

/**
 * The error's message and its causes' (the client's "Failed to start Workflow" wraps the gRPC status
 * that says what happened, e.g. "4 DEADLINE_EXCEEDED: Deadline exceeded"), each once.
 */
export function messageOf(error: unknown): string {
  const messages: string[] = [];
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause !== undefined && cause !== null; depth += 1) {
    const text = typeof cause === 'object' ? (cause as { message?: unknown }).message : cause;
    const message = typeof text === 'string' ? text : (JSON.stringify(text) ?? '');
    if (message !== '' && !messages.some((seen) => seen.includes(message))) messages.push(message);
    cause = typeof cause === 'object' ? (cause as { cause?: unknown }).cause : undefined;
  }
  return messages.join(': ');
}

/**
 * The outage shared by every event in flight: when its first failed attempt began (what the reports
 * count from: the client's own retries and the request deadline spent that time before the error
 * came), when its first failure came (what --retry-for counts from), and when it was last reported.
 * Any successful submission ends it.
 */
class Outage {
  private since: number | undefined;
  private firstFailure: number | undefined;
  private reportedAt = 0;
  constructor(private readonly options: StreamOptions) {}

  ended(): void {
    this.since = undefined;
    this.firstFailure = undefined;
  }

  /** Whether to retry after `error`, from an attempt begun at `attemptStarted`; reports progress now and then. */
  retry(error: unknown, attemptStarted: number): boolean {
    // A missing search attribute (or another configuration problem) will not heal by waiting.
    if (error instanceof ConfigError) return false;
    const now = Date.now();
    this.since = Math.min(this.since ?? attemptStarted, attemptStarted);
    this.firstFailure ??= now;
    const retryForMs = this.options.retryForMs ?? 0;
    if (now - this.firstFailure >= retryForMs) return false;
    if (now - this.reportedAt >= RETRY_REPORT_EVERY_MS) {
      this.reportedAt = now;
      this.options.onRetry?.({ cause: messageOf(error), outageMs: now - this.since, retryForMs });
    }
    return true;
  }

  get durationMs(): number {
    return this.since === undefined ? 0 : Date.now() - this.since;
  }
}

async function submitRetrying(raw: unknown, options: StreamOptions, outage: Outage): Promise<SubmitReport> {
  for (let attempt = 0; ; attempt += 1) {
    const attemptStarted = Date.now();
    try {
      const report = await submitEvent(raw, options);
      outage.ended();
      return report;
    } catch (error) {
      if (!outage.retry(error, attemptStarted)) throw error;
      const pauseMs = RETRY_PAUSE_MS[Math.min(attempt, RETRY_PAUSE_MS.length - 1)];
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
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

  const outage = new Outage(options);
  const inFlight = new Set<Promise<void>>();
  const lastForKey = new Map<string, Promise<void>>();
  let failure: Error | undefined;
  let readFailed = false;

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
        const report = await submitRetrying(item.value, options, outage);
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
    if (failure === undefined) readFailed = true;
    failure ??= toError(error);
  }
  await Promise.all(inFlight);
  if (failure !== undefined && !(failure instanceof ConfigError) && !readFailed) {
    const waited = outage.durationMs;
    throw new StreamInterrupted(
      `Temporal is unavailable${waited > 0 ? ` (for ${Math.round(waited / 1000)} s)` : ''}: ${messageOf(failure)}. ` +
        `${summary.total} event(s) were reported above; the others were not submitted or not confirmed. ` +
        'Resubmitting the whole input is safe: events already started come back as duplicates.',
      summary.total,
      { cause: failure },
    );
  }
  if (failure !== undefined) throw failure;
  return summary;
}
