// `@temporalio/workflow` for a profiling variant (bench/tuned-worker.ts, BENCH_ACTIVITIES=remote): every
// local activity becomes an ordinary activity task with the same timeouts and retry policy, i.e. the
// workflows as they were before they ran their activities locally first. For before/after comparisons.
export * from '@temporalio/workflow/lib/index';
import { proxyActivities, type LocalActivityOptions } from '@temporalio/workflow/lib/index';

export function proxyLocalActivities<A>(
  options: LocalActivityOptions,
): ReturnType<typeof proxyActivities<A>> {
  return proxyActivities<A>({
    startToCloseTimeout: options.startToCloseTimeout,
    scheduleToCloseTimeout: options.scheduleToCloseTimeout,
    retry: options.retry,
  });
}
