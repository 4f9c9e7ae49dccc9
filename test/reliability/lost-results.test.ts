// A worker killed right after IAM applied a write, before the workflow task that made it completed: the
// next worker runs the event again from its observation, which already shows the write. The outcome must
// still say what the event did (updated, deleted), never unchanged or absent.
import type { Client } from '@temporalio/client';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import type { EventResult } from '../../src/domain/types';
import { submitEvent } from '../../src/starter/submit';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { deleteEvent, documentAllowing, policiesNamed, SOURCE, upsertEvent } from '../../harness/events';
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
    // A delete redone after the kill finds the policy gone, as IAM's lagging reads could show it too: it
    // is recognised as its own write once that wait is over.
    env: { IAM_CONSISTENCY_WAIT_MS: '15000' },
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
    when: forPolicyNamed(name),
    times: 1,
    respond: async (_request, forward) => {
      await forward();
      await worker?.kill();
      return DROP_CONNECTION;
    },
  });
}

async function resultAfterRestart(event: Record<string, unknown>): Promise<EventResult> {
  await submitEvent(event, { ...options(), wait: false });
  // Wait for the kill, then a new worker takes the policy workflow's task over (after its 10 s timeout).
  for (let i = 0; i < 600 && !worker?.exited(); i += 1) await new Promise((r) => setTimeout(r, 100));
  worker = await startWorker();
  const handle = client.workflow.getHandle(eventWorkflowId(SOURCE, String(event.id)));
  return (await handle.result()) as EventResult;
}

test('killed after CreatePolicyVersion, then after DeletePolicy: updated, then deleted', async () => {
  const name = `lost-${uniqueSuffix()}`;
  const created = await submitEvent(upsertEvent(name, { sequence: 1 }), { ...options(), wait: true });
  expect(created.outcome).toBe('created');

  killWorkerAfter('CreatePolicyVersion', name);
  const updated = await resultAfterRestart(
    upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:PutObject']) }),
  );
  expect(updated).toMatchObject({ outcome: 'updated', versionId: 'v2' });

  killWorkerAfter('DeletePolicy', name);
  const deleted = await resultAfterRestart(deleteEvent(name, { sequence: 3 }));
  expect(deleted.outcome).toBe('deleted');
  expect(await policiesNamed(testIamClient(), name)).toHaveLength(0);
}, 300_000);
