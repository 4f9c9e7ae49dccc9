// `@temporalio/workflow` with every local activity made an ordinary activity task (same timeouts and
// retry policy): the workflows as they were before they ran their activities locally first. Bundled in
// place of the SDK by bench/tuned-worker.ts (BENCH_ACTIVITIES=remote, the "before" of a comparison) and
// by test/integration/replay.test.ts (a change of commands that replay must catch).
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
