// `@temporalio/workflow` with every ordinary activity made a local activity (same timeouts and retry
// policy): the policy workflow's IAM write then runs inside the workflow task that plans it, and the plan
// is not in history before IAM is written. A what-if, never the service: bundled in place of the SDK by
// bench/tuned-worker.ts (BENCH_ACTIVITIES=local-write) to measure what the recorded write costs
// (docs/decisions/floor-ratio.md).
export * from '@temporalio/workflow/lib/index';
import { proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow/lib/index';

export function proxyActivities<A>(options: ActivityOptions): ReturnType<typeof proxyLocalActivities<A>> {
  return proxyLocalActivities<A>({
    startToCloseTimeout: options.startToCloseTimeout,
    scheduleToCloseTimeout: options.scheduleToCloseTimeout,
    retry: options.retry,
  });
}
