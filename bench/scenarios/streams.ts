// The stream scenario: one generated stream through the service, then through the direct baseline
// sequentially and with the same concurrency, on the same moto (emptied before each pass). With
// --dup-rate 0 --burst-rate 0 it is the plain mixed stream; otherwise it has redeliveries and bursts.
import { runThroughBaseline, type BaselineRunResult } from '../baseline-run';
import { runThroughService, type ServiceRunResult } from '../service-run';
import { round } from '../stats';
import { countKinds, generateStream, type EventKind, type StreamSpec } from '../stream';
import { taskQueueFor, type ScenarioContext } from './context';

export interface StreamScenarioResult {
  /** `mixed` without redeliveries and bursts, else `dups-bursts`. */
  name: 'mixed' | 'dups-bursts';
  spec: StreamSpec;
  kinds: Record<EventKind, number>;
  service: ServiceRunResult;
  baselineSequential?: BaselineRunResult;
  baselineConcurrent?: BaselineRunResult;
  /** Service events/s over the concurrent baseline's (and over the sequential one's), whole run. */
  ratio?: { concurrent: number; sequential: number };
}

export function streamSpec(
  context: ScenarioContext,
  use: 'stream' | 'latency' | 'memory',
  events: number,
): StreamSpec {
  const { options } = context;
  return {
    events,
    policies: options.policies,
    dupRate: options.dupRate,
    burstRate: options.burstRate,
    burstSize: options.burstSize,
    seed: options.seed + (use === 'latency' ? 1 : use === 'memory' ? 2 : 0),
    prefix: `b${context.runId}-${use.slice(0, 3)}`,
    ...(options.documents !== 'small' ? { documents: options.documents } : {}),
  };
}

export async function runStreamScenario(context: ScenarioContext): Promise<StreamScenarioResult> {
  const { options, env } = context;
  const spec = streamSpec(context, 'stream', options.events);
  const name = spec.dupRate === 0 && spec.burstRate === 0 ? 'mixed' : 'dups-bursts';
  // The same stream for every pass, with names of its own (policy names, event sources) so that passes
  // never meet, even on a given moto that is not emptied between them.
  const streamFor = (pass: string) => generateStream({ ...spec, prefix: `${spec.prefix}${pass}` });
  const events = streamFor('s');
  const service = await runThroughService(env, events, {
    label: `${name}/service`,
    rate: options.rate,
    concurrency: options.concurrency,
    worker: context.worker,
    taskQueue: taskQueueFor(context, 'stream'),
    profileSample: options.profileSample,
  });
  const result: StreamScenarioResult = { name, spec, kinds: countKinds(events), service };
  if (!options.baseline) return result;
  const baselineSequential = await runThroughBaseline(env, streamFor('q'), `${name}/baseline-seq`, 1);
  const baselineConcurrent = await runThroughBaseline(
    env,
    streamFor('c'),
    `${name}/baseline-conc`,
    options.baselineConcurrency ?? options.concurrency,
  );
  const rate = service.throughput.eventsPerSecond;
  return {
    ...result,
    baselineSequential,
    baselineConcurrent,
    ratio: {
      concurrent: round(rate / baselineConcurrent.throughput.eventsPerSecond, 3),
      sequential: round(rate / baselineSequential.throughput.eventsPerSecond, 3),
    },
  };
}
