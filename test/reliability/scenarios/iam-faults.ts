// IAM faults: throttling, 5xx, lost answers and a full outage, through the proxy. Temporal's retries
// carry every event through: none fails for a transient error, and IAM ends as the events say.
import { startIamProxy, type FaultPlan } from '../../helpers/iam-proxy';
import { startService } from '../../helpers/service';
import {
  appliedOrderProblems,
  checkIamState,
  countBy,
  directIam,
  expectedStates,
  finalOutcomes,
  mapPool,
  outcomeProblems,
  submitDelivery,
  type ScenarioReport,
} from '../harness';
import { randomFor, runId, say, type ScenarioContext } from './context';
import { stormEvents } from './storm';

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
    const events = random.shuffle(
      stormEvents(run, {
        policies: size.policies,
        eventsPerPolicy: size.eventsPerPolicy,
        minCopies: 1,
        maxCopies: 1,
        submitters: 1,
      }),
    );
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
    const checked = outcomeProblems(events, outcomes);
    const orderProblems = await appliedOrderProblems(service.client, events);
    const state = await checkIamState(directIam(context.motoEndpoint), expectedStates(events));
    return {
      scenario: 'IAM faults',
      events: events.length,
      deliveries: events.length,
      faults: Object.fromEntries(Object.entries(faults).filter(([, count]) => count > 0)),
      outcomes: countBy(reports, (r) => r.outcome),
      iamCalls: proxy.totalRequests(),
      lost: checked.lost,
      wrongFinalStates: state.wrong,
      problems: [...checked.problems, ...orderProblems, ...state.problems],
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await service.stop();
    await proxy.close();
  }
}
