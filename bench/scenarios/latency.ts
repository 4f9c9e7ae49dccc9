// Latency at offered rates: paced streams (with the stream scenario's mix), each event's clock starting at
// its scheduled time, so that a service slower than the offered rate shows its queue in the latency.
import { runThroughService, type ServiceRunResult } from '../service-run';
import { generateStream } from '../stream';
import { taskQueueFor, type ScenarioContext } from './context';
import { streamSpec } from './streams';

/** A latency pass; `saturationEventsPerSecond` when it was offered half of the saturation measured. */
export type LatencyRunResult = ServiceRunResult & { saturationEventsPerSecond?: number };

/** Half of `saturation` events/s, to a tenth. */
export function halfOf(saturation: number): number {
  return Math.max(0.1, Math.round(saturation * 5) / 10);
}

/**
 * One pass per offered rate; `saturation` is the stream scenario's throughput at full speed in this
 * run, which a `half` rate needs.
 */
export async function runLatencyScenario(
  context: ScenarioContext,
  saturation: number | undefined,
): Promise<LatencyRunResult[]> {
  const { options } = context;
  const results: LatencyRunResult[] = [];
  for (const offered of options.latencyRates) {
    if (offered === 'half' && !(saturation && saturation > 0)) {
      throw new Error('--latency-rates half: the stream scenario measured no throughput in this run');
    }
    const rate = offered === 'half' ? halfOf(saturation!) : offered;
    const count = Math.max(1, Math.round(rate * options.latencySeconds));
    const spec = streamSpec(context, 'latency', count);
    const events = generateStream({ ...spec, prefix: `${spec.prefix}${rate}` });
    const run = await runThroughService(context.env, events, {
      label:
        offered === 'half' ? `latency@${rate}/s (half of ${saturation!.toFixed(1)})` : `latency@${rate}/s`,
      rate,
      concurrency: options.concurrency,
      worker: context.worker,
      taskQueue: `${taskQueueFor(context, 'latency')}-${rate}`,
      profileSample: options.profileSample,
    });
    results.push(offered === 'half' ? { ...run, saturationEventsPerSecond: saturation! } : run);
  }
  return results;
}
