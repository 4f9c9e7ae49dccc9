// IAM faults: throttling, 5xx, lost answers and a full outage, through the proxy. Temporal's retries
// carry every event through: none fails for a transient error, and IAM ends as the events say.
import { startIamProxy, type FaultPlan } from '../iam-proxy';
import { startService } from '../service';
import {
  countBy,
  finalOutcomes,
  mapPool,
  type ScenarioReport,
  submitDelivery,
  verifyStream,
} from '../scenario-runner';
import { randomFor, runId, say, type ScenarioContext } from './context';
import { singleDeliveries } from './storm';

export interface IamFaultsSize {
  policies: number;
  eventsPerPolicy: number;
  faults: FaultPlan;
  /** IAM is down this long once a third of the events have finished. */
  outageMs: number;
  concurrency: number;
}

export async function iamFaults(context: ScenarioContext, size: IamFaultsSize): Promise<ScenarioReport> {
  const started = Date.now();
  const run = runId(context, 'faults');
  const random = randomFor(context, 5);
  const proxy = await startIamProxy(context.motoEndpoint, {
    strict: true,
    seed: context.seed,
    recordParams: false,
  });
  const service = await startService({
    iamEndpoint: proxy.endpoint,
    temporalAddress: context.temporalAddress,
  });
  try {
    const events = random.shuffle(singleDeliveries(run, size));
    say(
      context,
      `faults: ${events.length} events; ${JSON.stringify(size.faults)}, an outage of ${size.outageMs} ms`,
    );
    proxy.setFaults(size.faults);
    let finished = 0;
    let outageStarted = false;
    const reports = await mapPool(events, size.concurrency, async (event) => {
      const report = await submitDelivery(service.client, service.taskQueue, event, { wait: true });
      finished += 1;
      if (!outageStarted && finished >= events.length / 3) {
        outageStarted = true;
        say(context, `faults: IAM down for ${size.outageMs} ms`);
        proxy.startOutage(size.outageMs);
      }
      return report;
    });
    const faults = proxy.faultCounts();
    proxy.setFaults(undefined);
    const outcomes = await finalOutcomes(service.client, events, 60_000);
    const verdict = await verifyStream(service.client, events, outcomes, context.motoEndpoint);
    return {
      scenario: 'IAM faults',
      events: events.length,
      deliveries: events.length,
      faults: Object.fromEntries(Object.entries(faults).filter(([, count]) => count > 0)),
      outcomes: countBy(reports, (r) => r.outcome),
      iamCalls: proxy.totalRequests(),
      ...verdict,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await service.stop();
    await proxy.close();
  }
}
