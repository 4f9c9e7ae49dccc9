// The worker as it runs in production with TEMPORAL_ACCOUNT_TASK_QUEUES: one process polls the base queue
// and the listed account's own queue, and applies that account's events there; a WORKER_ACCOUNTS naming an
// account outside IAM_ACCOUNTS is refused at start.
import { Client, Connection } from '@temporalio/client';
import { policyWorkflowId } from '../../src/domain/ids';
import { submitEvent, type SubmitOptions } from '../../src/starter/submit';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import { motoEnvironment, runCli } from '../../harness/cli';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { upsertEvent } from '../../harness/events';
import { startProcess, type ServiceProcess } from '../../harness/processes';
import { MANAGED_BY } from '../../harness/service';

const B = '222222222222';
const taskQueue = `own-queues-${uniqueSuffix()}`;
const environment = {
  TEMPORAL_ADDRESS: testTemporalAddress(),
  TEMPORAL_TASK_QUEUE: taskQueue,
  TEMPORAL_SEARCH_ATTRIBUTES: 'off',
  IAM_ACCOUNTS: B,
  TEMPORAL_ACCOUNT_TASK_QUEUES: B,
  WORKER_MAX_CACHED_WORKFLOWS: '100',
  ...motoEnvironment(testIamEndpoint()),
};

let worker: ServiceProcess;
let connection: Connection;
let options: SubmitOptions;

beforeAll(async () => {
  worker = startProcess('src/worker.ts', [], environment);
  connection = await Connection.connect({ address: testTemporalAddress() });
  options = {
    client: new Client({ connection }),
    taskQueue,
    accountTaskQueues: [B],
    wait: true,
    reservedTagKeys: [MANAGED_BY.key],
    searchAttributes: false,
  };
  await worker.waitFor(/worker: polling task queue/, 90_000);
});

afterAll(async () => {
  await connection?.close();
  await worker?.stop();
});

test("one worker process polls the base queue and B's own, and applies B's events on B's queue", async () => {
  expect(worker.stderr()).toContain(`worker: polling task queues ${taskQueue}, ${taskQueue}@${B} on `);
  // The two share the cache sized to the heap: WORKER_MAX_CACHED_WORKFLOWS split between them.
  expect(worker.stderr()).toContain('cache 2 × 50 workflows');
  const name = `own-queue-${uniqueSuffix()}`;
  const inB = upsertEvent(name);
  inB.data = { ...(inB.data as Record<string, unknown>), account: B };
  const report = await submitEvent(inB, options);
  expect(report).toMatchObject({ outcome: 'created', account: B });
  const described = async (workflowId: string) =>
    (await options.client.workflow.getHandle(workflowId).describe()).taskQueue;
  expect(await described(eventWorkflowId(String(inB.source), String(inB.id)))).toBe(`${taskQueue}@${B}`);
  expect(await described(policyWorkflowId(name, B))).toBe(`${taskQueue}@${B}`);
  // The default account's stay on the base queue.
  const inDefault = upsertEvent(`own-queue-default-${uniqueSuffix()}`);
  expect((await submitEvent(inDefault, options)).outcome).toBe('created');
  expect(await described(eventWorkflowId(String(inDefault.source), String(inDefault.id)))).toBe(taskQueue);
});

test('WORKER_ACCOUNTS naming an account the service may not touch: the worker refuses to start, saying why', async () => {
  const refused = await runCli('src/worker.ts', [], {
    env: { ...environment, WORKER_ACCOUNTS: `default,333333333333` },
  });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(
    `WORKER_ACCOUNTS names 333333333333, not in IAM_ACCOUNTS (${B}): name default for the base queue, or accounts the service may touch`,
  );
});
