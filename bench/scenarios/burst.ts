// Coalescing: N upserts to one existing policy submitted at once, so they wait in its policy workflow
// together; only the newest should be applied. Measured at the proxy, per burst; the same bursts through
// the direct baseline for comparison.
import {
  closeWindow,
  measureWindow,
  openWindow,
  recordedItems,
  type ActionsMeasured,
  type Window,
} from '../action-meter';
import { directIamClient, runBaseline } from '../baseline';
import { callsBetween, type CallCounts } from '../counting-proxy';
import { drive } from '../driver';
import { countHistories } from '../history';
import { log } from '../progress';
import { MANAGED_BY, startWorker } from '../service-run';
import { countBy } from '../stats';
import { eventFactory, eventKey, policyNames, type BenchEvent } from '../stream';
import { taskQueueFor, type ScenarioContext } from './context';

export interface BurstResult {
  n: number;
  /** Each burst submitted evenly over this long (0: all at once). */
  spreadMs: number;
  bursts: {
    outcomes: Record<string, number>;
    calls: CallCounts;
    seconds: number;
    /** Temporal Cloud Actions of the burst's N events (the create before it not included). */
    temporalActions?: ActionsMeasured;
  }[];
  /** The most new versions (or creations) one burst made: what the burst window keeps at 1–2. */
  maxPolicyWrites: number;
  /** The baseline's new versions per burst, on average. */
  baselinePolicyWrites: number;
  /** Write calls, audit TagPolicy and UntagPolicy included. */
  maxWrites: number;
  meanWrites: number;
  meanCalls: number;
  baseline: { meanWrites: number; meanCalls: number };
}

function asEvents(raws: Record<string, unknown>[]): BenchEvent[] {
  return raws.map((raw) => ({
    raw,
    key: eventKey(raw),
    policyName: String((raw.data as { policyName: string }).policyName),
    kind: 'burst',
  }));
}

export async function runBurstScenario(context: ScenarioContext): Promise<BurstResult> {
  const { env, options } = context;
  const n = options.burstN;
  const spreadMs = options.burstSpreadMs;
  // The service's bursts and the baseline's have names of their own (a given moto is not emptied).
  const planFor = (prefix: string) => {
    const factory = eventFactory(prefix);
    return policyNames(prefix, options.bursts).map((name) => ({
      create: factory.upsert(name, 1),
      burst: Array.from({ length: n }, (_, i) => factory.upsert(name, i + 2)),
    }));
  };
  const plan = planFor(`b${context.runId}-bur`);

  await env.resetIam();
  const taskQueue = taskQueueFor(context, 'burst');
  log(`[burst] starting a worker on task queue ${taskQueue}`);
  const worker = await startWorker(env, taskQueue, context.worker);
  const bursts: BurstResult['bursts'] = [];
  const windows: Window[] = [];
  const submit = (events: BenchEvent[]) =>
    Promise.race([
      worker.crashed,
      drive(events, {
        client: env.client,
        taskQueue,
        // Spread: the first at once, the last at `spreadMs`.
        rate: spreadMs > 0 && events.length > 1 ? ((events.length - 1) * 1000) / spreadMs : 0,
        concurrency: events.length,
        reservedTagKeys: [MANAGED_BY.key],
      }),
    ]);
  try {
    for (const { create, burst } of plan) {
      await submit(asEvents([create]));
      const window = await openWindow(env);
      const before = env.proxy.snapshot();
      const started = performance.now();
      const timings = await submit(asEvents(burst));
      const calls = callsBetween(before, env.proxy.snapshot());
      windows.push(await closeWindow(env, window));
      const outcomes = countBy(timings, (t) => t.outcome);
      bursts.push({ outcomes, calls, seconds: (performance.now() - started) / 1000 });
      log(
        `[burst] ${n} upserts${spreadMs > 0 ? ` over ${spreadMs} ms` : ''}: ${calls.writes} writes, ${calls.total} calls, ${JSON.stringify(outcomes)}`,
      );
    }
    const { executions } = await countHistories(env.client, taskQueue, plan.length * (n + 1));
    const recorded = await recordedItems(env.client, executions);
    for (const [index, burst] of bursts.entries()) {
      burst.temporalActions = measureWindow(recorded, windows[index], n);
    }
  } finally {
    await worker.stop();
  }

  // The same bursts through the baseline: it applies every one of them.
  await env.resetIam();
  const iam = directIamClient(env.proxy.endpoint);
  const baselineCalls: CallCounts[] = [];
  for (const { create, burst } of planFor(`b${context.runId}-bub`)) {
    const apply = (raws: unknown[]) =>
      runBaseline(raws, { iam, concurrency: 1, accountId: '123456789012', managedByTag: MANAGED_BY });
    await apply([create]);
    const before = env.proxy.snapshot();
    await apply(burst);
    baselineCalls.push(callsBetween(before, env.proxy.snapshot()));
  }
  iam.destroy();

  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  // A policy write is a new version (or the policy's creation); each comes with its audit TagPolicy.
  const policyWrites = (c: CallCounts) =>
    (c.byAction.CreatePolicyVersion ?? 0) + (c.byAction.CreatePolicy ?? 0);
  return {
    n,
    spreadMs,
    bursts,
    maxPolicyWrites: Math.max(...bursts.map((b) => policyWrites(b.calls))),
    baselinePolicyWrites: mean(baselineCalls.map(policyWrites)),
    maxWrites: Math.max(...bursts.map((b) => b.calls.writes)),
    meanWrites: mean(bursts.map((b) => b.calls.writes)),
    meanCalls: mean(bursts.map((b) => b.calls.total)),
    baseline: {
      meanWrites: mean(baselineCalls.map((c) => c.writes)),
      meanCalls: mean(baselineCalls.map((c) => c.total)),
    },
  };
}
