// Latency at offered rates: paced streams (with the stream scenario's mix), each event's clock starting at
// its scheduled time, so that a service slower than the offered rate shows its queue in the latency.
import { runThroughService, type ServiceRunResult } from '../service-run';
import { generateStream } from '../stream';
import { taskQueueFor, type ScenarioContext } from './context';
import { streamSpec } from './streams';

export async function runLatencyScenario(context: ScenarioContext): Promise<ServiceRunResult[]> {
  const { options } = context;
  const results: ServiceRunResult[] = [];
  for (const rate of options.latencyRates) {
    const count = Math.max(1, Math.round(rate * options.latencySeconds));
    const spec = streamSpec(context, 'latency', count);
    const events = generateStream({ ...spec, prefix: `${spec.prefix}${rate}` });
    results.push(
      await runThroughService(context.env, events, {
        label: `latency@${rate}/s`,
        rate,
        concurrency: options.concurrency,
        worker: context.worker,
        taskQueue: `${taskQueueFor(context, 'latency')}-${rate}`,
        profileSample: options.profileSample,
      }),
    );
  }
  return results;
}
