// Workflow-side shim for a profiling variant (bench/tuned-worker.ts, BENCH_LOCAL_ACTIVITIES): the service's
// own workflow code, unchanged, bundled with `@temporalio/workflow` pointing here, so that the activities
// named below run as local activities (same options: timeouts and retry policy) instead of activity tasks.
import {
  proxyActivities as proxyRemoteActivities,
  proxyLocalActivities,
  type ActivityOptions,
} from '@temporalio/workflow/lib/index';

export function localActivityProxy(localNames: readonly string[]) {
  return function proxyActivities<A extends object>(options: ActivityOptions): A {
    const remote = proxyRemoteActivities<A>(options) as Record<string, unknown>;
    const local = proxyLocalActivities<A>({
      startToCloseTimeout: options.startToCloseTimeout,
      scheduleToCloseTimeout: options.scheduleToCloseTimeout,
      retry: options.retry,
    }) as Record<string, unknown>;
    return new Proxy({} as A, {
      get: (_, name) =>
        (typeof name === 'string' && localNames.includes(name) ? local : remote)[name as string],
    });
  };
}
