// Several workers, one writer per policy: two worker processes on one task queue of a real cluster,
// each behind a write recorder (harness/recorded-workers.ts). Events of one policy arrive all at once
// from many submitters, its name spelled in any case: no two writes of the policy are ever in flight
// at once. Then the worker that holds the policy workflow is killed (-9) and left dead: the other
// worker takes the workflow over (replaying its history) and applies the next events.
import type { LocalCluster } from '../../harness/cluster';
import { clusterIamEndpoint, testCluster } from '../helpers/cluster-env';
import type { Client } from '@temporalio/client';
import { uniqueSuffix } from '../../harness/env';
import { startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { startRecordedWorkers, type RecordedWorkers } from '../../harness/recorded-workers';
import {
  checkIamState,
  connectClient,
  directIam,
  documentFor,
  expectedStates,
  finalOutcomes,
  mapPool,
  outcomeProblems,
  type PlannedEvent,
  plannedUpsert,
  submitDelivery,
} from '../../harness/scenario-runner';
import { randomCase } from '../../harness/scenarios/context';
import { seededRandom } from '../../harness/seeded-random';
import { policyWorkflowId } from '../../src/domain/ids';

const run = `handover-${uniqueSuffix()}`;
const taskQueue = `cluster-${run}`;
const source = `urn:cluster:${run}`;
const random = seededRandom(16);
let cluster: LocalCluster;
let proxy: IamProxy;
let workers: RecordedWorkers;
let client: Client;

beforeAll(async () => {
  cluster = await testCluster();
  proxy = await startIamProxy(clusterIamEndpoint(), { strict: true });
  workers = await startRecordedWorkers({
    names: ['a', 'b'],
    temporalAddress: cluster.address,
    taskQueue,
    iamEndpoint: proxy.endpoint,
    env: { TEMPORAL_NAMESPACE: cluster.namespace },
    restartOnExit: false,
  });
  client = await connectClient(cluster.address);
}, 180_000);

afterAll(async () => {
  await workers?.stop();
  await client?.connection.close();
  await proxy?.close();
});

/** Upserts of `name` with sequences `from`..`to`, the content changing with each, the name in any case. */
function upserts(name: string, from: number, to: number): PlannedEvent[] {
  return Array.from({ length: to - from + 1 }, (_, i) => {
    const sequence = from + i;
    return plannedUpsert(
      source,
      `${name}-s${sequence}`,
      randomCase(name, random),
      String(sequence),
      documentFor(name, sequence),
    );
  });
}

const hot = `${run}-hot`;
const others = Array.from({ length: 6 }, (_, i) => `${run}-p${i}`);
const applied: PlannedEvent[] = [];

test('events of one policy from 12 submitters at once, with other policies beside: never two writes of the policy in flight', async () => {
  const events = [...upserts(hot, 1, 24), ...others.flatMap((name) => upserts(name, 1, 4))];
  applied.push(...events);
  // All deliveries at once, in any order: the hot policy's events race each other into its workflow.
  await mapPool(random.shuffle(events), 12, (event) =>
    submitDelivery(client, taskQueue, event, { wait: false }),
  );
  const outcomes = await finalOutcomes(client, events, 120_000);
  expect(outcomeProblems(events, outcomes).problems).toEqual([]);

  const writes = workers.log.writes.filter((write) => write.policy.startsWith(run));
  expect(workers.log.overlaps()).toEqual([]);
  // One policy workflow for every spelling of the name.
  const hotWrites = writes.filter((write) => write.policy === hot.toLowerCase());
  expect(hotWrites.length).toBeGreaterThan(0);
  expect((await client.workflow.getHandle(policyWorkflowId(hot)).describe()).status.name).toBe('RUNNING');
}, 180_000);

/** Identities that completed workflow tasks of the hot policy's workflow, all its runs, oldest first. */
async function taskIdentities(): Promise<string[]> {
  const identities: string[] = [];
  // From the current run back along each run's predecessor (it may have continued as new).
  let runId: string | undefined = (await client.workflow.getHandle(policyWorkflowId(hot)).describe()).runId;
  while (runId) {
    const history = await client.workflow.getHandle(policyWorkflowId(hot), runId).fetchHistory();
    const mine = (history.events ?? []).flatMap((event) => {
      const identity = event.workflowTaskCompletedEventAttributes?.identity;
      return identity ? [identity] : [];
    });
    identities.unshift(...mine);
    runId =
      history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return identities;
}

test('the worker that holds a policy workflow is killed: the other worker continues it', async () => {
  // The holder completed the workflow's last task and keeps it cached (its sticky task queue).
  const before = await taskIdentities();
  const holder = workers.ofIdentity(before.at(-1)!)!;
  expect(holder).toBeDefined();
  const other = workers.workers.find((worker) => worker !== holder)!;
  const writesBefore = workers.log.writes.length;
  await holder.process.kill();

  const next = upserts(hot, 25, 30);
  applied.push(...next);
  // One at a time: each is applied (updated), none superseded by the next.
  const outcomes: string[] = [];
  for (const event of next)
    outcomes.push((await submitDelivery(client, taskQueue, event, { wait: true })).outcome);
  const writers = workers.log.writes
    .slice(writesBefore)
    .filter((write) => write.policy === hot.toLowerCase())
    .map((write) => write.worker);
  const after = (await taskIdentities()).slice(before.length);
  expect({
    outcomes,
    writers: [...new Set(writers)],
    tasksAfterKill: [...new Set(after.map((identity) => workers.ofIdentity(identity)?.name))],
    overlaps: workers.log.overlaps(),
  }).toEqual({
    outcomes: next.map(() => 'updated'),
    writers: [other.name],
    tasksAfterKill: [other.name],
    overlaps: [],
  });

  const state = await checkIamState(directIam(clusterIamEndpoint()), expectedStates(applied));
  expect(state.problems).toEqual([]);
}, 180_000);
