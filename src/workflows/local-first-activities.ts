// Activities that run first as local activities and, when that does not succeed within a few attempts,
// as ordinary activities. A local activity runs inside the workflow task: no activity task to schedule,
// match and report: fewer history events and less server CPU (docs/decisions/local-first-activities.md).
// An ordinary activity is what an operator can see while it keeps failing: the UI shows it pending, with
// its attempt count and last failure, and the server spaces its retries. So the quick path is local and a
// long IAM outage falls over to the visible one.
import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';

export interface LocalFirstOptions {
  /** Options of the local attempts; give them a small `maximumAttempts`. */
  local: LocalActivityOptions;
  /** Options of the ordinary activity that takes over when the local attempts are used up. */
  fallback: ActivityOptions;
  /**
   * Failure types with which a local attempt hands the call to the ordinary activity at once (thrown
   * non-retryable, so that no local retry waits inside the workflow task).
   */
  fallBackAtOnce?: readonly string[];
}

/**
 * For activities that only call Temporal itself (signals between the workflows): quick, idempotent,
 * and retried without end while Temporal answers with errors, since nothing else can deliver them.
 */
export const TEMPORAL_CALL_OPTIONS: LocalFirstOptions = {
  local: { startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumAttempts: 2 } },
  fallback: {
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  },
};

type AsyncFunction = (...args: never[]) => Promise<unknown>;

/**
 * Whether a failed local activity should be tried again as an ordinary activity: when its attempts ran
 * out on a retryable failure or a timeout, or when it asked to (`fallBackAtOnce`); never for another
 * non-retryable failure or a cancellation.
 * (A local activity's failure reaches workflow code as its cause itself, not wrapped in an ActivityFailure.)
 */
export function shouldFallBack(
  error: unknown,
  nonRetryableErrorTypes: readonly string[] = [],
  fallBackAtOnce: readonly string[] = [],
): boolean {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  if (failure instanceof TimeoutFailure) return true;
  if (!(failure instanceof ApplicationFailure)) return false;
  if (fallBackAtOnce.includes(failure.type ?? '')) return true;
  return !failure.nonRetryable && !nonRetryableErrorTypes.includes(failure.type ?? '');
}

/** Like `proxyActivities`, with each call tried locally first (see the module comment). */
export function proxyLocalFirstActivities<A extends Record<keyof A, AsyncFunction>>(
  options: LocalFirstOptions,
): A {
  const local = proxyLocalActivities<A>(options.local) as Record<string, AsyncFunction>;
  const fallback = proxyActivities<A>(options.fallback) as Record<string, AsyncFunction>;
  const nonRetryableErrorTypes = options.local.retry?.nonRetryableErrorTypes ?? [];
  const fallBackAtOnce = options.fallBackAtOnce ?? [];
  return new Proxy({} as A, {
    get(_, name) {
      if (typeof name !== 'string') throw new TypeError(`activity names are strings, not ${String(name)}`);
      return async (...args: never[]) => {
        try {
          return await local[name](...args);
        } catch (error) {
          if (!shouldFallBack(error, nonRetryableErrorTypes, fallBackAtOnce)) throw error;
          const detail = { activity: name, error: error instanceof Error ? error.message : String(error) };
          // Handing over at once is ordinary (the local attempt chose not to wait): no warning for it.
          if (error instanceof ApplicationFailure && fallBackAtOnce.includes(error.type ?? ''))
            log.debug('local activity handed over; running it as an activity', detail);
          else log.warn('local activity attempts used up; retrying it as an activity', detail);
          return await fallback[name](...args);
        }
      };
    },
  });
}
