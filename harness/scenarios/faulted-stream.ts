// What the IAM fault scenarios share: the service behind a strict IAM proxy of its own, one delivery
// per event in a shuffled order, faults on while the stream is submitted and off while the last
// outcomes settle, then the stream checked against moto.
import type { FaultPlan, IamProxy, IamProxyOptions } from '../iam-proxy';
import {
  countBy,
  finalOutcomes,
  mapPool,
  type PlannedEvent,
  type ScenarioReport,
  submitDelivery,
  verifyStream,
} from '../scenario-runner';
import { randomFor, runId, say, type ScenarioContext } from './context';
import { withProxiedService } from './proxied-service';
import { singleDeliveries } from './storm';

export interface FaultedStreamOptions {
  /** Names the run's policies and events. */
  name: string;
  /** Salt of the scenario's random choices (each scenario its own). */
  salt: number;
  policies: number;
  eventsPerPolicy: number;
  concurrency: number;
  /** The proxy's options beyond strict, seeded and unrecorded (e.g. lagging reads). */
  proxy?: Partial<IamProxyOptions>;
  faults: FaultPlan;
  /** What the log says of the faults. */
  describe: string;
  /** How long the last outcomes may take once the stream is in. */
  settleMs: number;
  /** Called as each event is in, e.g. to start an outage part way. */
  onFinished?(finished: number, total: number, proxy: IamProxy): void;
}

export interface FaultedStream {
  report: ScenarioReport;
  outcomes: Awaited<ReturnType<typeof finalOutcomes>>;
  proxy: IamProxy;
}

export async function faultedStream(
  context: ScenarioContext,
  scenario: string,
  options: FaultedStreamOptions,
): Promise<FaultedStream> {
  const started = Date.now();
  const run = runId(context, options.name);
  const random = randomFor(context, options.salt);
  return withProxiedService(context, { recordParams: false, ...options.proxy }, async (proxy, service) => {
    const events: PlannedEvent[] = random.shuffle(singleDeliveries(run, options));
    say(context, `${options.name}: ${events.length} events; ${options.describe}`);
    proxy.setFaults(options.faults);
    let finished = 0;
    const reports = await mapPool(events, options.concurrency, async (event) => {
      const report = await submitDelivery(service.client, service.taskQueue, event, { wait: true });
      finished += 1;
      options.onFinished?.(finished, events.length, proxy);
      return report;
    });
    const faults = proxy.faultCounts();
    proxy.setFaults(undefined);
    const outcomes = await finalOutcomes(service.client, events, options.settleMs);
    const verdict = await verifyStream(service.client, events, outcomes, context.motoEndpoint);
    return {
      report: {
        scenario,
        events: events.length,
        deliveries: events.length,
        faults: Object.fromEntries(Object.entries(faults).filter(([, count]) => count > 0)),
        outcomes: countBy(reports, (r) => r.outcome),
        iamCalls: proxy.totalRequests(),
        ...verdict,
        seconds: (Date.now() - started) / 1000,
      },
      outcomes,
      proxy,
    };
  });
}
