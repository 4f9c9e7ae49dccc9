// IAM as it really behaves: reads of a policy lag behind each write to it (the strict proxy's replicas),
// and some write answers are lost after IAM applied them. The policy workflows must not misjudge their
// own writes: every event ends, IAM ends as the events say, and no event fails or is rejected for it.
import { startIamProxy } from '../iam-proxy';
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

export interface ConsistencySize {
  policies: number;
  eventsPerPolicy: number;
  /** How far reads lag behind each write to a policy. */
  lagMs: number;
  /** Share of writes whose connection is cut (half before IAM sees them, half after it applied them). */
  lostWriteRate: number;
  concurrency: number;
}

const WRITES = ['CreatePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion', 'DeletePolicy', 'TagPolicy'];

export async function consistency(context: ScenarioContext, size: ConsistencySize): Promise<ScenarioReport> {
  const started = Date.now();
  const run = runId(context, 'lag');
  const random = randomFor(context, 7);
  const proxy = await startIamProxy(context.motoEndpoint, {
    strict: true,
    seed: context.seed,
    recordParams: false,
    consistency: { lagMs: size.lagMs },
  });
  const service = await startService({
    iamEndpoint: proxy.endpoint,
    temporalAddress: context.temporalAddress,
  });
  try {
    const events = random.shuffle(singleDeliveries(run, size));
    say(
      context,
      `consistency: ${events.length} events; reads lag ${size.lagMs} ms, ${size.lostWriteRate} of writes cut`,
    );
    proxy.setFaults({ dropRate: size.lostWriteRate, actions: WRITES });
    const reports = await mapPool(events, size.concurrency, (event) =>
      submitDelivery(service.client, service.taskQueue, event, { wait: true }),
    );
    const faults = proxy.faultCounts();
    proxy.setFaults(undefined);
    const outcomes = await finalOutcomes(service.client, events, 180_000);
    const verdict = await verifyStream(service.client, events, outcomes, context.motoEndpoint);
    const wrong = [...outcomes.values()].filter((o) => o.outcome === 'failed' || o.outcome === 'rejected');
    return {
      scenario: 'IAM consistency',
      events: events.length,
      deliveries: events.length,
      faults: {
        ...Object.fromEntries(Object.entries(faults).filter(([, count]) => count > 0)),
        'stale reads': proxy.staleReads(),
      },
      outcomes: countBy(reports, (r) => r.outcome),
      iamCalls: proxy.totalRequests(),
      ...verdict,
      problems: [
        ...verdict.problems,
        ...wrong.map(
          (o) => `${JSON.stringify(o).slice(0, 300)}: failed or rejected under lag and lost answers`,
        ),
      ],
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await service.stop();
    await proxy.close();
  }
}
