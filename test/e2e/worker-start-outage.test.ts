// A worker started while Temporal cannot be reached: it keeps trying (WORKER_CONNECT_RETRY_MS), says
// why on stderr, and starts processing once the server is there; after the bound it names the cause.
import { Client, Connection } from '@temporalio/client';
import { submitEvent } from '../../src/starter/submit';
import { motoEnvironment } from '../../harness/cli';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { upsertEvent } from '../../harness/events';
import { startProcess, type ServiceProcess } from '../../harness/processes';
import { freePort, startTemporal, type RunningServer } from '../../harness/servers';
import { MANAGED_BY } from '../../harness/service';

let temporal: RunningServer | undefined;
let worker: ServiceProcess | undefined;
afterEach(async () => {
  await worker?.stop('SIGKILL');
  await temporal?.stop();
  worker = undefined;
  temporal = undefined;
});

function startWorker(address: string, taskQueue: string, env: Record<string, string> = {}): ServiceProcess {
  return startProcess('src/worker.ts', [], {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...motoEnvironment(testIamEndpoint()),
    ...env,
  });
}

const RETRYING =
  /worker: cannot reach Temporal at 127\.0\.0\.1:\d+ \(.*Connection refused.*\); trying again in/;

test('started before the dev server: retries with the cause on stderr, then polls and processes events', async () => {
  const port = await freePort();
  const taskQueue = `connect-late-${uniqueSuffix()}`;
  worker = startWorker(`127.0.0.1:${port}`, taskQueue, { WORKER_CONNECT_RETRY_MS: '120000' });
  // Two failed attempts: the worker is past its first one and still there.
  await worker.waitFor(new RegExp(`${RETRYING.source}[^]*${RETRYING.source}`), 30_000);
  temporal = await startTemporal({ port });
  await worker.waitFor(/worker: polling task queue/, 90_000);
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const report = await submitEvent(upsertEvent(`connect-late-${uniqueSuffix()}`, { sequence: 1 }), {
      client: new Client({ connection }),
      taskQueue,
      wait: true,
      reservedTagKeys: [MANAGED_BY.key],
    });
    expect(report.outcome).toBe('created');
  } finally {
    await connection.close();
  }
  expect(await worker.stop('SIGTERM')).toBe(0);
});

test('Temporal still away after WORKER_CONNECT_RETRY_MS: exit 2 naming the address, the attempts and the cause', async () => {
  const port = await freePort();
  worker = startWorker(`127.0.0.1:${port}`, `connect-never-${uniqueSuffix()}`, {
    WORKER_CONNECT_RETRY_MS: '3000',
  });
  const started = Date.now();
  expect(await worker.stop('SIGCONT')).toBe(2);
  expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  expect(worker.stderr()).toMatch(RETRYING);
  expect(worker.stderr()).toMatch(
    new RegExp(
      `cannot reach Temporal at 127\\.0\\.0\\.1:${port} \\(\\d+ attempts over 3 s\\): .*Connection refused`,
    ),
  );
});

test('SIGTERM while it is still trying: the worker stops at once', async () => {
  worker = startWorker(`127.0.0.1:${await freePort()}`, `connect-stop-${uniqueSuffix()}`);
  await worker.waitFor(RETRYING, 30_000);
  const signalled = Date.now();
  expect(await worker.stop('SIGTERM')).toBe(0);
  expect(Date.now() - signalled).toBeLessThan(5000);
  expect(worker.stderr()).toMatch(/worker: stopped \(Temporal was never reached\)/);
});
