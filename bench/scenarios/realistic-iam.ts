// The service and the direct consumer against IAM as it behaves (emulated at the counting proxy):
// latency on every call, and per-API token buckets that answer Throttling. Each stream (the plain mixed
// one and the one with redeliveries and bursts) goes through both, alternately, `--repeats` times; the
// buckets start full before every pass.
import { runThroughBaseline, type BaselineRunResult } from '../baseline-run';
import type { IamEmulation } from '../counting-proxy';
import { log } from '../progress';
import { runThroughService, type ServiceRunResult } from '../service-run';
import { round } from '../stats';
import { countKinds, generateStream, type EventKind, type StreamSpec } from '../stream';
import { taskQueueFor, type ScenarioContext } from './context';
import { streamSpec } from './streams';

export interface RealisticPass {
  service: ServiceRunResult;
  baseline: BaselineRunResult;
  /** Service events/s over the direct consumer's. */
  ratio: number;
}

export interface RealisticStream {
  name: 'mixed' | 'dups-bursts';
  spec: StreamSpec;
  kinds: Record<EventKind, number>;
  passes: RealisticPass[];
}

export interface RealisticIamResult {
  emulation: IamEmulation;
  streams: RealisticStream[];
}

export function realisticEmulation(context: ScenarioContext): IamEmulation {
  const { options } = context;
  return {
    latencyMs: options.iamLatencyMeanMs,
    latencyJitterMs: options.iamLatencyJitterMs,
    rateLimit: 0,
    throttle: { readsPerSecond: options.iamReadsPerSecond, writesPerSecond: options.iamWritesPerSecond },
    seed: options.seed,
  };
}

export async function runRealisticIamScenario(context: ScenarioContext): Promise<RealisticIamResult> {
  const { env, options } = context;
  const emulation = realisticEmulation(context);
  const base = streamSpec(context, 'stream', options.events);
  const specs: { name: RealisticStream['name']; spec: StreamSpec }[] = [
    { name: 'mixed', spec: { ...base, dupRate: 0, burstRate: 0, prefix: `${base.prefix}rm` } },
    { name: 'dups-bursts', spec: { ...base, prefix: `${base.prefix}rd` } },
  ];
  const streams: RealisticStream[] = [];
  try {
    for (const { name, spec } of specs) {
      const passes: RealisticPass[] = [];
      for (let repeat = 1; repeat <= options.repeats; repeat += 1) {
        // Own names per pass: the service's event workflow IDs must not meet an earlier pass's.
        const events = (side: string) =>
          generateStream({ ...spec, prefix: `${spec.prefix}${side}${repeat}` });
        const service = async () => {
          env.proxy.setEmulation(emulation);
          return runThroughService(env, events('s'), {
            label: `iam/${name}/service#${repeat}`,
            rate: 0,
            concurrency: options.concurrency,
            worker: context.worker,
            taskQueue: taskQueueFor(context, `iam-${name}-${repeat}`),
            profileSample: 0,
          });
        };
        const baseline = async () => {
          env.proxy.setEmulation(emulation);
          return runThroughBaseline(
            env,
            events('b'),
            `iam/${name}/baseline#${repeat}`,
            options.baselineConcurrency ?? options.concurrency,
          );
        };
        // Alternate which side goes first, so neither always meets the machine in the same state.
        let serviceRun: ServiceRunResult;
        let baselineRun: BaselineRunResult;
        if (repeat % 2 === 1) {
          serviceRun = await service();
          baselineRun = await baseline();
        } else {
          baselineRun = await baseline();
          serviceRun = await service();
        }
        const ratio = round(
          serviceRun.throughput.eventsPerSecond / baselineRun.throughput.eventsPerSecond,
          3,
        );
        log(
          `[iam/${name}#${repeat}] service ${serviceRun.throughput.eventsPerSecond.toFixed(1)} ev/s, ` +
            `${serviceRun.iam.throttled.total} throttled; direct ${baselineRun.throughput.eventsPerSecond.toFixed(1)} ev/s, ` +
            `${baselineRun.iam.throttled.total} throttled; ratio ${ratio}`,
        );
        passes.push({ service: serviceRun, baseline: baselineRun, ratio });
      }
      streams.push({ name, spec, kinds: countKinds(generateStream(spec)), passes });
    }
  } finally {
    env.proxy.setEmulation({ latencyMs: options.iamLatencyMs, rateLimit: options.iamRateLimit });
  }
  return { emulation, streams };
}
