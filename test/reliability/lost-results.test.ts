// A worker killed right after IAM applied a write, before the write's result reached Temporal. The write
// runs as an activity scheduled (with its plan) before IAM is touched, so the server runs the same plan
// again on the next worker, which recognises what the killed one wrote: the outcome says what the event
// did (created, updated, deleted), never unchanged or absent, and at once, not after IAM's consistency
// wait. The first write of a policy workflow (nothing written before it to compare with) included.
import type { Client } from '@temporalio/client';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import type { EventResult } from '../../src/domain/types';
import { submitEvent } from '../../src/starter/submit';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import {
  deleteEvent,
  documentAllowing,
  policiesNamed,
  policyArn,
  SOURCE,
  upsertEvent,
  versionsOf,
} from '../../harness/events';
import { DROP_CONNECTION, forPolicyNamed, startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { connectClient } from '../../harness/scenario-runner';
import { startTemporal, type RunningServer } from '../../harness/servers';
import { MANAGED_BY, testIamClient } from '../../harness/service';
import { startWorkerProcess, type WorkerProcess } from '../../harness/worker-process';

// A dev server of its own: requests cut off by a kill can leave the dev server's in-memory SQLite
// connection failing every later query ("interrupted (9)"), which would fail every other test file too.
let temporal: RunningServer;
let proxy: IamProxy;
let client: Client;
let worker: WorkerProcess | undefined;
const taskQueue = `lost-results-${uniqueSuffix()}`;
const startWorker = () =>
  startWorkerProcess({
    temporalAddress: temporal.address,
    taskQueue,
    iamEndpoint: proxy.endpoint,
  });

beforeAll(async () => {
  temporal = await startTemporal();
  proxy = await startIamProxy(testIamEndpoint(), { strict: true });
  client = await connectClient(temporal.address);
  worker = await startWorker();
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await proxy?.close();
  await temporal?.stop();
});

const options = () => ({ client, taskQueue, reservedTagKeys: [MANAGED_BY.key] });

/** The worker dies as soon as IAM has applied `action` on the policy; its answer never arrives. */
function killWorkerAfter(action: string, name: string): void {
  proxy.addRule({
    action,
    // CreatePolicy names the policy by PolicyName, the other writes by PolicyArn.
    when: (params) => params.PolicyName === name || forPolicyNamed(name)(params),
    times: 1,
    respond: async (_request, forward) => {
      await forward();
      await worker?.kill();
      return DROP_CONNECTION;
    },
  });
}

/** IAM's wait for its eventual consistency (IAM_CONSISTENCY_WAIT_MS, 2 minutes by default) is longer. */
const PROMPTLY_MS = 90_000;

async function resultAfterRestart(event: Record<string, unknown>): Promise<EventResult> {
  const started = Date.now();
  await submitEvent(event, { ...options(), wait: false });
  // Wait for the kill, then a new worker takes the write over (after the killed attempt's timeout).
  for (let i = 0; i < 600 && !worker?.exited(); i += 1) await new Promise((r) => setTimeout(r, 100));
  expect(worker?.exited()).toBe(true);
  worker = await startWorker();
  const handle = client.workflow.getHandle(eventWorkflowId(SOURCE, String(event.id)));
  const result = (await handle.result()) as EventResult;
  expect(Date.now() - started).toBeLessThan(PROMPTLY_MS);
  return result;
}

const submitted = (event: Record<string, unknown>) => submitEvent(event, { ...options(), wait: true });

test("killed after a new policy workflow's first write (CreatePolicy): created", async () => {
  const name = `lost-first-${uniqueSuffix()}`;
  killWorkerAfter('CreatePolicy', name);
  const created = await resultAfterRestart(upsertEvent(name, { sequence: 1 }));
  expect(created).toMatchObject({ outcome: 'created', versionId: 'v1' });
  expect(await policiesNamed(testIamClient(), name)).toHaveLength(1);
}, 300_000);

test('killed after CreatePolicyVersion, then after DeletePolicy: updated (no second version), then deleted', async () => {
  const name = `lost-${uniqueSuffix()}`;
  expect((await submitted(upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');

  killWorkerAfter('CreatePolicyVersion', name);
  const updated = await resultAfterRestart(
    upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:PutObject']) }),
  );
  expect(updated).toMatchObject({ outcome: 'updated', versionId: 'v2' });
  expect(await versionsOf(testIamClient(), policyArn(name))).toHaveLength(2);

  killWorkerAfter('DeletePolicy', name);
  const deleted = await resultAfterRestart(deleteEvent(name, { sequence: 3 }));
  expect(deleted.outcome).toBe('deleted');
  expect(await policiesNamed(testIamClient(), name)).toHaveLength(0);
}, 300_000);

test('killed after a tags-only change (TagPolicy), then after CreatePolicy of a policy created again: updated, then created', async () => {
  const name = `lost-tags-${uniqueSuffix()}`;
  expect((await submitted(upsertEvent(name, { sequence: 1, tags: { team: 'a' } }))).outcome).toBe('created');

  killWorkerAfter('TagPolicy', name);
  const tagged = await resultAfterRestart(upsertEvent(name, { sequence: 2, tags: { team: 'b' } }));
  expect(tagged).toMatchObject({ outcome: 'updated', actions: [{ action: 'TagPolicy' }] });

  expect((await submitted(deleteEvent(name, { sequence: 3 }))).outcome).toBe('deleted');
  killWorkerAfter('CreatePolicy', name);
  const recreated = await resultAfterRestart(upsertEvent(name, { sequence: 4, tags: { team: 'b' } }));
  expect(recreated).toMatchObject({ outcome: 'created', versionId: 'v1' });
  expect(await policiesNamed(testIamClient(), name)).toHaveLength(1);
}, 420_000);
