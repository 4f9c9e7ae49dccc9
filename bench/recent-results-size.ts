// How much heap the policy workflows' record of recent results takes as it fills to its bound
// (RECENT_LIMIT per policy), measured alone: built with the policy queue's own `finish()`, from results
// shaped as the service writes them, after full collections. Prints a table; no servers.
//
//   node --expose-gc --import tsx bench/recent-results-size.ts [policies=200]
import '../src/node-version'; // first: refuses a Node older than 24
import { finish, newPolicyState, RECENT_LIMIT, type PolicyState } from '../src/domain/policy-queue';
import type { EventResult, PolicyEvent } from '../src/domain/types';

const policies = Number(process.argv[2] ?? 200);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || !Number.isInteger(policies) || policies < 1) {
  console.error('usage: node --expose-gc --import tsx bench/recent-results-size.ts [policies]');
  process.exit(2);
}

function heapUsedAfterCollection(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** An event and the result the service records for it (an update, the commonest outcome). */
function finished(policyName: string, n: number): { event: PolicyEvent; result: EventResult } {
  const id = `evt-${policyName}-${n}-${Math.random().toString(36).slice(2, 10)}`;
  const event: PolicyEvent = {
    source: 'urn:bench:iam-policy-events',
    id,
    type: 'iam.policy.upsert',
    policyName,
    path: '/',
    sequence: String(n),
    document: {},
  };
  const versionId = `v${n + 1}`;
  const result: EventResult = {
    source: event.source,
    id,
    type: event.type,
    policyName,
    outcome: 'updated',
    policyArn: `arn:aws:iam::123456789012:policy/${policyName}`,
    versionId,
    actions: [
      { action: 'DeletePolicyVersion', versionId: `v${n - 4}` },
      { action: 'CreatePolicyVersion', versionId },
    ],
  };
  return { event, result };
}

const states: PolicyState[] = Array.from({ length: policies }, (_, p) => newPolicyState(`bench-policy-${p}`));
const base = heapUsedAfterCollection();
console.log(`${policies} policies, RECENT_LIMIT ${RECENT_LIMIT}`);
console.log(
  'finished per policy | results kept per policy | heap MiB | JSON MiB (carried at continue-as-new)',
);
let done = 0;
for (const target of [25, 50, 100, 150, 200, 300, 400]) {
  for (; done < target; done += 1) {
    for (const state of states) {
      const { event, result } = finished(state.policyKey, done + 1);
      const queued = {
        event,
        replyTo: { workflowId: `event/${event.id}`, runId: `run-${event.id}` },
        arrival: done + 1,
      };
      finish(state, queued, result);
      state.outbox = [];
    }
  }
  const heap = (heapUsedAfterCollection() - base) / 2 ** 20;
  const json = states.reduce((sum, state) => sum + JSON.stringify(state).length, 0) / 2 ** 20;
  console.log(
    `${String(target).padStart(19)} | ${String(states[0].recent.length).padStart(23)} | ${heap.toFixed(1).padStart(8)} | ${json.toFixed(1)}`,
  );
}
