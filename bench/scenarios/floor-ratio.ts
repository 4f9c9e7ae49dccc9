// Issue 22's limit, in every run: the service's CPU per event against the least any design on its
// shape pays. Three kinds of pass on the same dev server, for each stream (the plain mixed one and the
// one with redeliveries and bursts), `--repeats` times, floor and service alternating:
//   floor    the service's workflow shape with no IAM work (bench/floor/, its own worker process)
//   service  the service (its worker process, --worker-entry)
//   direct   the direct consumer (bench/baseline.ts) in this process: its own CPU is what the IAM calls
//            cost at the least
// CPU per event counts the worker, the dev server and this process (the submitting client). moto and
// the counting proxy (here in a process of its own) are measured apart and not counted.
// ratio = service / (floor + direct), per repeat; the median with its range per stream.
import { directIamClient, runBaseline } from '../baseline';
import { callsBetween, type CallCounts } from '../counting-proxy';
import { drive } from '../driver';
import { countHistories } from '../history';
import {
  countedMsPerEvent,
  floorRatio,
  floorStreams,
  msPerEvent,
  passOrder,
  spread,
  type FloorStreamName,
  type PassKind,
  type Spread,
} from '../floor/ratio';
import { startProxyChild, type ProxyChild } from '../floor/proxy-child';
import { machineBusySeconds } from '../proc';
import { log, progress } from '../progress';
import { MANAGED_BY, problemsOf } from '../service-run';
import { countBy, round, throughput } from '../stats';
import { countKinds, generateStream, type BenchEvent, type EventKind, type StreamSpec } from '../stream';
import { startWorkerProcess, type WorkerProcess } from '../worker-process';
import { taskQueueFor, type ScenarioContext } from './context';
import { streamSpec } from './streams';

export const FLOOR_WORKER_ENTRY = 'bench/floor-worker.ts';

export interface FloorPass {
  kind: PassKind;
  label: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** CPU seconds per process over the pass: worker, temporal, bench, moto, proxy, others. */
  cpuSeconds: Record<string, number>;
  /** The same per event, in milliseconds. */
  cpuMsPerEvent: Record<string, number>;
  /** Cores other users' processes kept busy on average during the pass: the machine's noise. */
  othersCores: number;
  /**
   * What the ratio uses: worker + temporal + bench per event (floor, service); for the direct consumer
   * its own CPU per event (bench).
   */
  countedMsPerEvent: number;
  iam: CallCounts & { perEvent: number };
  /** Temporal's histories of the pass (event and policy workflows, every run) per event: events and bytes. */
  history?: { eventsPerEvent: number; bytesPerEvent: number };
  outcomes: Record<string, number>;
  problems: string[];
}

export interface FloorRepeat {
  repeat: number;
  floor: FloorPass;
  service: FloorPass;
  direct: FloorPass;
  ratio: number;
}

export interface FloorStream {
  name: FloorStreamName;
  spec: StreamSpec;
  kinds: Record<EventKind, number>;
  repeats: FloorRepeat[];
  /** Medians with their range over the repeats, ms of CPU per event (ratio: a plain number). */
  summary: {
    floor: Spread;
    direct: Spread;
    service: Spread;
    ratio: Spread;
    /** History bytes per event of the floor's and the service's passes. */
    floorHistoryBytes: Spread;
    serviceHistoryBytes: Spread;
  };
}

export interface FloorRatioResult {
  /** The target of issue 22: the median ratio of each stream at most this. */
  target: number;
  streams: FloorStream[];
}

export const FLOOR_RATIO_TARGET = 1.1;

/** CPU seconds so far, unrounded: the passes are short and per-event figures want every tick. */
function readCpu(context: ScenarioContext, proxy: ProxyChild, worker?: WorkerProcess) {
  const usage = process.cpuUsage();
  const ours = {
    worker: worker?.cpuSeconds() ?? 0,
    ...context.env.serverCpu(),
    bench: (usage.user + usage.system) / 1e6,
    proxy: proxy.cpuSeconds(),
  };
  const others = machineBusySeconds() - Object.values(ours).reduce((a, b) => a + b, 0);
  return { ...ours, others };
}

function difference(before: Record<string, number>, after: Record<string, number>) {
  return Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - (before[key] ?? 0)]));
}

async function measured(
  context: ScenarioContext,
  proxy: ProxyChild,
  kind: PassKind,
  label: string,
  events: readonly BenchEvent[],
  worker: WorkerProcess | undefined,
  run: (
    tick: () => void,
  ) => Promise<
    { outcome: string; reason?: string; index: number; submittedAt: number; finishedAt: number }[]
  >,
): Promise<FloorPass> {
  const callsBefore = await proxy.snapshot();
  const bar = progress(label, events.length);
  const cpuBefore = readCpu(context, proxy, worker);
  const started = performance.now();
  const timings = await run(() => bar.tick());
  const cpuSeconds = difference(cpuBefore, readCpu(context, proxy, worker));
  const wallSeconds = (performance.now() - started) / 1000;
  const callsAfter = await proxy.snapshot();
  const summary = throughput(timings);
  bar.done(`${summary.eventsPerSecond.toFixed(1)} ev/s`);
  const calls = callsBetween(callsBefore.counts, callsAfter.counts);
  const perEvent = msPerEvent(cpuSeconds, events.length);
  return {
    kind,
    label,
    events: events.length,
    seconds: round(summary.seconds, 2),
    eventsPerSecond: round(summary.eventsPerSecond, 1),
    cpuSeconds: Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, round(v, 2)])),
    cpuMsPerEvent: Object.fromEntries(Object.entries(perEvent).map(([k, v]) => [k, round(v, 2)])),
    othersCores: round(wallSeconds > 0 ? (cpuSeconds.others ?? 0) / wallSeconds : 0, 2),
    countedMsPerEvent: round(
      kind === 'direct' ? (perEvent.bench ?? 0) : countedMsPerEvent(cpuSeconds, events.length),
      3,
    ),
    iam: { ...calls, perEvent: round(calls.total / events.length, 3) },
    outcomes: countBy(timings, (t) => t.outcome),
    problems: problemsOf(timings),
  };
}

async function workflowPass(
  context: ScenarioContext,
  proxy: ProxyChild,
  kind: 'floor' | 'service',
  label: string,
  events: readonly BenchEvent[],
  taskQueue: string,
): Promise<FloorPass> {
  const { env, options } = context;
  await env.resetIam();
  const settings = context.worker;
  log(`[${label}] starting a ${kind} worker on task queue ${taskQueue}`);
  const worker = await startWorkerProcess({
    temporalAddress: env.temporalAddress,
    taskQueue,
    iamEndpoint: proxy.endpoint,
    entry: kind === 'floor' ? FLOOR_WORKER_ENTRY : settings.entry,
    // As bench/service-run.ts: no drift check schedule (its cost is per hour, not per event).
    env: { DRIFT_CHECK_INTERVAL_MS: '0', ...settings.env },
    nodeArgs: settings.nodeArgs,
  });
  try {
    const pass = await measured(context, proxy, kind, label, events, worker, (tick) =>
      Promise.race([
        worker.crashed,
        drive(events, {
          client: env.client,
          taskQueue,
          rate: 0,
          concurrency: options.concurrency,
          reservedTagKeys: [MANAGED_BY.key],
          onFinished: tick,
        }),
      ]),
    );
    // Read after the CPU was: listing and describing the histories costs the server CPU too.
    const { counts } = await countHistories(env.client, taskQueue, new Set(events.map((e) => e.key)).size);
    const perEvent = (total: number) => total / Math.max(1, events.length);
    const history = {
      eventsPerEvent: round(perEvent(counts.eventWorkflowEvents + counts.policyWorkflowEvents), 2),
      bytesPerEvent: Math.round(perEvent(counts.eventWorkflowBytes + counts.policyWorkflowBytes)),
    };
    log(`[${label}] history per event: ${history.eventsPerEvent} events, ${history.bytesPerEvent} bytes`);
    return { ...pass, history };
  } finally {
    await worker.stop();
  }
}

async function directPass(
  context: ScenarioContext,
  proxy: ProxyChild,
  label: string,
  events: readonly BenchEvent[],
): Promise<FloorPass> {
  const { env, options } = context;
  await env.resetIam();
  const iam = directIamClient(proxy.endpoint);
  try {
    return await measured(context, proxy, 'direct', label, events, undefined, (tick) =>
      runBaseline(
        events.map((e) => e.raw),
        {
          iam,
          concurrency: options.baselineConcurrency ?? options.concurrency,
          accountId: '123456789012',
          managedByTag: MANAGED_BY,
          onFinished: tick,
        },
      ),
    );
  } finally {
    iam.destroy();
  }
}

export async function runFloorRatioScenario(context: ScenarioContext): Promise<FloorRatioResult> {
  const { env, options } = context;
  if (options.repeats < 3) {
    log(
      `floor-ratio: --repeats ${options.repeats}; a median with its spread wants at least 3 (a smoke run only)`,
    );
  }
  const proxy = await startProxyChild(env.motoAddress);
  const streams: FloorStream[] = [];
  try {
    for (const { name, spec } of floorStreams(streamSpec(context, 'stream', options.events))) {
      const passes = new Map<number, Partial<Record<PassKind, FloorPass>>>();
      for (const { repeat, kind } of passOrder(options.repeats)) {
        // Own names per pass (sources, policies): no event or policy workflow meets an earlier pass's.
        const events = generateStream({ ...spec, prefix: `${spec.prefix}${kind[0]}${repeat}` });
        const label = `floor-ratio/${name}/${kind}#${repeat}`;
        const pass =
          kind === 'direct'
            ? await directPass(context, proxy, label, events)
            : await workflowPass(
                context,
                proxy,
                kind,
                label,
                events,
                taskQueueFor(context, `floor-${name}-${kind[0]}${repeat}`),
              );
        passes.set(repeat, { ...passes.get(repeat), [kind]: pass });
      }
      const repeats = [...passes].map(([repeat, p]) => {
        const { floor, service, direct } = p as Record<PassKind, FloorPass>;
        const ratio = round(
          floorRatio(service.countedMsPerEvent, floor.countedMsPerEvent, direct.countedMsPerEvent),
          3,
        );
        log(
          `[floor-ratio/${name}#${repeat}] CPU ms/event: service ${service.countedMsPerEvent}, floor ` +
            `${floor.countedMsPerEvent}, direct ${direct.countedMsPerEvent}; ratio ${ratio}`,
        );
        return { repeat, floor, service, direct, ratio };
      });
      const over = (pick: (r: FloorRepeat) => number) => spread(repeats.map(pick));
      streams.push({
        name,
        spec,
        kinds: countKinds(generateStream(spec)),
        repeats,
        summary: {
          floor: over((r) => r.floor.countedMsPerEvent),
          direct: over((r) => r.direct.countedMsPerEvent),
          service: over((r) => r.service.countedMsPerEvent),
          ratio: over((r) => r.ratio),
          floorHistoryBytes: over((r) => r.floor.history?.bytesPerEvent ?? 0),
          serviceHistoryBytes: over((r) => r.service.history?.bytesPerEvent ?? 0),
        },
      });
    }
  } finally {
    await proxy.stop();
  }
  return { target: FLOOR_RATIO_TARGET, streams };
}
