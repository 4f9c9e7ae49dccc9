// One pass of a stream through the direct baseline (bench/baseline.ts) against the same proxy and moto.
import { directIamClient, runBaseline } from './baseline';
import { callsBetween, type CallCounts } from './counting-proxy';
import type { Environment } from './environment';
import { log, progress } from './progress';
import { cpuMeter, MANAGED_BY, problemsOf, type CpuUse } from './service-run';
import {
  countBy,
  latencySummary,
  round,
  throughput,
  type LatencySummary,
  type ThroughputSummary,
} from './stats';
import type { BenchEvent } from './stream';

export interface BaselineRunResult {
  label: string;
  concurrency: number;
  throughput: ThroughputSummary;
  /** Start of applying → applied (no queueing before it: the baseline takes events as it can). */
  applyLatencyMs: LatencySummary;
  outcomes: Record<string, number>;
  iam: CallCounts & { perEvent: number; throttled: CallCounts };
  cpu: CpuUse;
  problems: string[];
}

export async function runThroughBaseline(
  env: Environment,
  events: readonly BenchEvent[],
  label: string,
  concurrency: number,
): Promise<BaselineRunResult> {
  await env.resetIam();
  log(`[${label}] direct baseline, ${concurrency} at a time`);
  const iam = directIamClient(env.proxy.endpoint);
  const before = env.proxy.snapshot();
  const throttledBefore = env.proxy.throttledSnapshot();
  const cpu = cpuMeter(env);
  const bar = progress(label, events.length);
  const timings = await runBaseline(
    events.map((e) => e.raw),
    { iam, concurrency, accountId: '123456789012', managedByTag: MANAGED_BY, onFinished: () => bar.tick() },
  );
  const cpuUse = cpu();
  const calls = callsBetween(before, env.proxy.snapshot());
  const throttled = callsBetween(throttledBefore, env.proxy.throttledSnapshot());
  const summary = throughput(timings);
  bar.done(`${summary.eventsPerSecond.toFixed(1)} ev/s`);
  iam.destroy();
  return {
    label,
    concurrency,
    throughput: summary,
    applyLatencyMs: latencySummary(timings.map((t) => t.finishedAt - t.submittedAt)),
    outcomes: countBy(timings, (t) => t.outcome),
    iam: { ...calls, perEvent: round(calls.total / events.length, 3), throttled },
    cpu: cpuUse,
    problems: problemsOf(timings),
  };
}
