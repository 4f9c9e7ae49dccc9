// IAM faults: throttling, 5xx, lost answers and a full outage, through the proxy. Temporal's retries
// carry every event through: none fails for a transient error, and IAM ends as the events say.
import type { FaultPlan } from '../iam-proxy';
import type { ScenarioReport } from '../scenario-runner';
import { say, type ScenarioContext } from './context';
import { faultedStream } from './faulted-stream';

export interface IamFaultsSize {
  policies: number;
  eventsPerPolicy: number;
  faults: FaultPlan;
  /** IAM is down this long once a third of the events have finished. */
  outageMs: number;
  concurrency: number;
}

export async function iamFaults(context: ScenarioContext, size: IamFaultsSize): Promise<ScenarioReport> {
  let outageStarted = false;
  const { report } = await faultedStream(context, 'IAM faults', {
    name: 'faults',
    salt: 5,
    ...size,
    describe: `${JSON.stringify(size.faults)}, an outage of ${size.outageMs} ms`,
    settleMs: 60_000,
    onFinished: (finished, total, proxy) => {
      if (outageStarted || finished < total / 3) return;
      outageStarted = true;
      say(context, `faults: IAM down for ${size.outageMs} ms`);
      proxy.startOutage(size.outageMs);
    },
  });
  return report;
}
