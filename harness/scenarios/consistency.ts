// IAM as it really behaves: reads of a policy lag behind each write to it (the strict proxy's replicas),
// and some write answers are lost after IAM applied them. The policy workflows must not misjudge their
// own writes: every event ends, IAM ends as the events say, and no event fails or is rejected for it.
import type { ScenarioReport } from '../scenario-runner';
import type { ScenarioContext } from './context';
import { faultedStream } from './faulted-stream';

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
  const { report, outcomes, proxy } = await faultedStream(context, 'IAM consistency', {
    name: 'lag',
    salt: 7,
    ...size,
    proxy: { consistency: { lagMs: size.lagMs } },
    faults: { dropRate: size.lostWriteRate, actions: WRITES },
    describe: `reads lag ${size.lagMs} ms, ${size.lostWriteRate} of writes cut`,
    settleMs: 180_000,
  });
  const wrong = [...outcomes.values()].filter((o) => o.outcome === 'failed' || o.outcome === 'rejected');
  return {
    ...report,
    faults: { ...report.faults, 'stale reads': proxy.staleReads() },
    problems: [
      ...report.problems,
      ...wrong.map(
        (o) => `${JSON.stringify(o).slice(0, 300)}: failed or rejected under lag and lost answers`,
      ),
    ],
  };
}
