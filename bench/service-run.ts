// One pass of a stream through the service: a fresh worker process on its own task queue, the stream
// submitted through the starter library, then IAM calls, history lengths, memory and CPU read back.
import { closeWindow, measureWindow, openWindow, recordedItems, type ActionsMeasured } from './action-meter';
import { callsBetween, type CallCounts } from './counting-proxy';
import { drive, type Timed } from './driver';
import type { Environment } from './environment';
import { countHistories, profileTasks, type HistoryCounts, type TaskProfile } from './history';
import { machineBusySeconds } from './proc';
import { log, progress } from './progress';
import {
  countBy,
  latencySummary,
  round,
  throughput,
  type LatencySummary,
  type ThroughputSummary,
} from './stats';
import type { BenchEvent } from './stream';
import { groupOf, startGroup, workerShares, type WorkerShare } from './worker-group';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

export interface WorkerSettings {
  entry: string;
  env: Record<string, string>;
  nodeArgs: string[];
  /** Worker processes on the pass's task queue (runThroughService; default 1). */
  count?: number;
  /** Run under `nice -n N` (bench/worker-process.ts). */
  niceness?: number;
}

export interface CpuUse {
  /** CPU seconds per process group over the pass, and as cores busy on average. */
  seconds: Record<string, number>;
  cores: Record<string, number>;
}

/** CPU milliseconds per event of our own processes (not `others`): steadier than rates on a shared machine. */
export function cpuMsPerEvent(cpu: CpuUse, events: number): Record<string, number> {
  const ours = Object.entries(cpu.seconds).filter(([key]) => key !== 'others');
  const perEvent = Object.fromEntries(ours.map(([key, s]) => [key, round((s * 1000) / events, 1)]));
  return { ...perEvent, total: round((ours.reduce((sum, [, s]) => sum + s, 0) * 1000) / events, 1) };
}

export interface ServiceRunResult {
  label: string;
  rate: number;
  concurrency: number;
  throughput: ThroughputSummary;
  latencyMs: LatencySummary;
  latencyByOutcomeMs: Record<string, LatencySummary>;
  outcomes: Record<string, number>;
  iam: CallCounts & { perEvent: number; throttled: CallCounts };
  /** perEvent: history events per event; bytesPerEvent: their size per event. */
  history: HistoryCounts & { perEvent: number; bytesPerEvent: number };
  /** Temporal Cloud Actions of the pass: from its histories and from the dev server's counter. */
  actions: ActionsMeasured;
  /** Summed over the worker processes. */
  worker: { peakRssBytes: number; endRssBytes: number };
  /** `cpu.seconds.worker` is their sum. */
  cpu: CpuUse;
  /** Each worker process's CPU and memory over the pass (--workers). */
  workers: WorkerShare[];
  profile?: TaskProfile;
  /** Anything that ended rejected/failed/conflict: a benchmark of a broken run is no benchmark. */
  problems: string[];
}

export interface ServiceRunOptions {
  label: string;
  rate: number;
  concurrency: number;
  worker: WorkerSettings;
  taskQueue: string;
  profileSample: number;
  /** Called as events finish, with the worker (for memory checkpoints). */
  onFinished?: (finished: number, worker: WorkerProcess) => void;
  /** Called once all events finished and the pass's CPU is counted, while the worker still runs. */
  afterEvents?: (worker: WorkerProcess) => Promise<void>;
}

export const MANAGED_BY = { key: 'managed-by', value: 'iam-policy-events' };

export function startWorker(
  env: Environment,
  taskQueue: string,
  worker: WorkerSettings,
): Promise<WorkerProcess> {
  return startWorkerProcess({
    temporalAddress: env.temporalAddress,
    taskQueue,
    iamEndpoint: env.proxy.endpoint,
    entry: worker.entry,
    // No drift check schedule: its Actions and IAM reads are per hour, not per event (bench/drift.ts
    // measures them); --worker-env DRIFT_CHECK_INTERVAL_MS=... puts it back.
    env: { DRIFT_CHECK_INTERVAL_MS: '0', ...worker.env },
    nodeArgs: worker.nodeArgs,
    ...(worker.niceness !== undefined ? { niceness: worker.niceness } : {}),
  });
}

export function cpuMeter(env: Environment, worker?: WorkerProcess): () => CpuUse {
  const read = (): Record<string, number> => {
    const ours: Record<string, number> = {
      worker: worker?.cpuSeconds() ?? 0,
      ...env.serverCpu(),
      bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    };
    // Everything else on the machine (other users' processes share these cores).
    const others = machineBusySeconds() - Object.values(ours).reduce((a, b) => a + b, 0);
    return { ...ours, others };
  };
  const before = read();
  const started = performance.now();
  return () => {
    const after = read();
    const wall = (performance.now() - started) / 1000;
    const seconds: Record<string, number> = {};
    const cores: Record<string, number> = {};
    for (const key of Object.keys(after)) {
      const used = after[key] - (before[key] ?? 0);
      seconds[key] = round(used, 1);
      cores[key] = round(wall > 0 ? used / wall : 0, 2);
    }
    return { seconds, cores };
  };
}

const UNSUCCESSFUL = new Set(['rejected', 'failed', 'conflict']);

export function problemsOf(
  timings: readonly { outcome: string; reason?: string; index: number }[],
): string[] {
  return timings
    .filter((t) => UNSUCCESSFUL.has(t.outcome))
    .slice(0, 10)
    .map((t) => `event ${t.index}: ${t.outcome}: ${t.reason ?? ''}`);
}

export async function runThroughService(
  env: Environment,
  events: readonly BenchEvent[],
  options: ServiceRunOptions,
): Promise<ServiceRunResult> {
  await env.resetIam();
  const count = options.worker.count ?? 1;
  log(
    `[${options.label}] starting ${count === 1 ? 'a worker' : `${count} workers`} on task queue ${options.taskQueue}`,
  );
  const processes = await startGroup(count, () => startWorker(env, options.taskQueue, options.worker));
  const worker = groupOf(processes);
  try {
    const window = await openWindow(env);
    const before = env.proxy.snapshot();
    const throttledBefore = env.proxy.throttledSnapshot();
    const cpu = cpuMeter(env, worker);
    const cpuBefore = processes.map((p) => p.cpuSeconds());
    const started = performance.now();
    let finished = 0;
    const bar = progress(
      options.label,
      events.length,
      () => `worker RSS ${(worker.rss() / 2 ** 20).toFixed(0)} MiB`,
    );
    const timings: Timed[] = await Promise.race([
      worker.crashed,
      drive(events, {
        client: env.client,
        taskQueue: options.taskQueue,
        rate: options.rate,
        concurrency: options.concurrency,
        reservedTagKeys: [MANAGED_BY.key],
        onFinished: () => {
          finished += 1;
          bar.tick();
          options.onFinished?.(finished, worker);
        },
      }),
    ]);
    const cpuUse = cpu();
    const cpuAfter = processes.map((p) => p.cpuSeconds());
    const wallSeconds = (performance.now() - started) / 1000;
    const calls = callsBetween(before, env.proxy.snapshot());
    const throttled = callsBetween(throttledBefore, env.proxy.throttledSnapshot());
    const summary = throughput(timings);
    bar.done(`${summary.eventsPerSecond.toFixed(1)} ev/s`);
    if (count > 1) {
      const perWorker = cpuAfter.map((after, i) =>
        (((after - cpuBefore[i]) * 1000) / Math.max(1, events.length)).toFixed(1),
      );
      log(`[${options.label}] worker CPU ms/event per process: ${perWorker.join(', ')}`);
    }
    await options.afterEvents?.(worker);
    const closed = await closeWindow(env, window);

    const eventWorkflows = new Set(events.map((e) => e.key)).size;
    log(`[${options.label}] reading histories`);
    const { counts, executions } = await countHistories(env.client, options.taskQueue, eventWorkflows);
    const actions = measureWindow(await recordedItems(env.client, executions), closed, events.length);
    log(
      `[${options.label}] Actions per event: ${actions.perEvent.history} from histories, ` +
        `${actions.perEvent.server ?? '-'} from the server's counter` +
        (actions.differences?.length ? ` (differ: ${actions.differences.join(', ')})` : ''),
    );
    const profile =
      options.profileSample > 0
        ? await profileTasks(env.client, executions, options.profileSample)
        : undefined;
    const byOutcome = new Map<string, number[]>();
    for (const t of timings) {
      const list = byOutcome.get(t.outcome) ?? [];
      list.push(t.finishedAt - t.submittedAt);
      byOutcome.set(t.outcome, list);
    }
    return {
      label: options.label,
      rate: options.rate,
      concurrency: options.concurrency,
      throughput: summary,
      latencyMs: latencySummary(timings.map((t) => t.finishedAt - t.submittedAt)),
      latencyByOutcomeMs: Object.fromEntries([...byOutcome].map(([o, l]) => [o, latencySummary(l)])),
      outcomes: countBy(timings, (t) => t.outcome),
      iam: { ...calls, perEvent: round(calls.total / events.length, 3), throttled },
      history: {
        ...counts,
        perEvent: round((counts.eventWorkflowEvents + counts.policyWorkflowEvents) / events.length, 2),
        bytesPerEvent: Math.round((counts.eventWorkflowBytes + counts.policyWorkflowBytes) / events.length),
      },
      actions,
      worker: { peakRssBytes: worker.peakRss(), endRssBytes: worker.rss() },
      cpu: cpuUse,
      workers: workerShares(
        processes.map((p, i) => ({
          cpuBefore: cpuBefore[i],
          cpuAfter: cpuAfter[i],
          peakRssBytes: p.peakRss(),
          endRssBytes: p.rss(),
        })),
        events.length,
        wallSeconds,
      ),
      ...(profile ? { profile } : {}),
      problems: problemsOf(timings),
    };
  } finally {
    await worker.stop();
  }
}
