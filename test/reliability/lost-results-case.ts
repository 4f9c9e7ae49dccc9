// What the lost-results test files share: a dev server of their own, the strict IAM proxy, a worker
// process that a proxy rule kills right after IAM applied a write, and the wait for the next worker's
// result. Several files, so that jest runs their kills side by side.
import type { Client } from '@temporalio/client';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import type { EventResult } from '../../src/domain/types';
import { submitEvent } from '../../src/starter/submit';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { SOURCE } from '../../harness/events';
import { DROP_CONNECTION, forPolicyNamed, startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { connectClient } from '../../harness/scenario-runner';
import { startTemporal, type RunningServer } from '../../harness/servers';
import { MANAGED_BY } from '../../harness/service';
import { startWorkerProcess, type WorkerProcess } from '../../harness/worker-process';

/** Registers the shared servers and worker with jest; returns what the tests use. */
export function lostResultsSetup() {
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

  return { killWorkerAfter, resultAfterRestart, submitted };
}
