// The ingest server and the SQS consumer started before Temporal (a laptop, a compose file, a cluster
// where the pods come up in any order): like the worker and the starter, they keep trying to reach it
// for as long as their setting says, then take events; a signal while they wait stops them cleanly.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Client, Connection } from '@temporalio/client';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { SOURCE, upsertEvent } from '../../harness/events';
import { startProcess, type ServiceProcess } from '../../harness/processes';
import { freePort, startTemporal, type RunningServer } from '../../harness/servers';
import { ingestEnvironment, INGEST_TOKEN, startConsumer } from '../../harness/sources';
import { createQueue, messagesIn, testSqsClient } from '../../harness/sqs';
import { until } from '../helpers/until';

let temporal: RunningServer | undefined;
let sqs: SQSClient;
const processes: ServiceProcess[] = [];

beforeAll(() => {
  sqs = testSqsClient(testIamEndpoint());
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((running) => running.stop('SIGKILL')));
  await temporal?.stop();
  temporal = undefined;
});

afterAll(() => sqs?.destroy());

const waitingLine = (port: number, setting: string) =>
  new RegExp(
    `cannot reach Temporal at 127\\.0\\.0\\.1:${port} \\(.*\\); trying again in [\\d.]+ s ` +
      `\\(tried for \\d+ s of up to 120 s: ${setting}\\)`,
  );

/** The exit code of a process that ends by itself. */
function exitCode(running: ServiceProcess): Promise<number | null> {
  const child = running.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Whether the event workflow of `event` was started on the server at `address`. */
async function started(address: string, event: Record<string, unknown>): Promise<boolean> {
  const connection = await Connection.connect({ address });
  try {
    const handle = new Client({ connection }).workflow.getHandle(eventWorkflowId(SOURCE, String(event.id)));
    return Boolean(await handle.describe());
  } finally {
    await connection.close();
  }
}

test('ingest: waits for Temporal within INGEST_CONNECT_RETRY_MS, then listens and accepts events', async () => {
  const temporalPort = await freePort();
  const ingestPort = await freePort();
  const ingest = startProcess('src/ingest.ts', [], {
    ...ingestEnvironment(`127.0.0.1:${temporalPort}`, `early-${uniqueSuffix()}`, ingestPort),
    INGEST_CONNECT_RETRY_MS: '120000',
  });
  processes.push(ingest);
  await ingest.waitFor(waitingLine(temporalPort, 'INGEST_CONNECT_RETRY_MS'));
  expect(ingest.stderr()).not.toMatch(/listening/);

  temporal = await startTemporal({ port: temporalPort });
  await ingest.waitFor(/ingest: listening/, 90_000);
  const event = upsertEvent(`early-ingest-${uniqueSuffix()}`, { sequence: 1 });
  const response = await fetch(`http://127.0.0.1:${ingestPort}/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify(event),
  });
  expect(response.status).toBe(202);
  expect(await started(temporal.address, event)).toBe(true);
});

test('ingest: a signal while it waits stops it (exit 0); INGEST_CONNECT_RETRY_MS=0 tries once (exit 2)', async () => {
  const temporalPort = await freePort();
  const waiting = startProcess('src/ingest.ts', [], {
    ...ingestEnvironment(`127.0.0.1:${temporalPort}`, 'unused', await freePort()),
    INGEST_CONNECT_RETRY_MS: '120000',
  });
  processes.push(waiting);
  await waiting.waitFor(waitingLine(temporalPort, 'INGEST_CONNECT_RETRY_MS'));
  expect(await waiting.stop('SIGTERM')).toBe(0);
  expect(waiting.stderr()).toMatch(/ingest: stopped \(Temporal was never reached\)/);

  const once = startProcess('src/ingest.ts', [], {
    ...ingestEnvironment(`127.0.0.1:${temporalPort}`, 'unused', await freePort()),
    INGEST_CONNECT_RETRY_MS: '0',
  });
  processes.push(once);
  expect(await exitCode(once)).toBe(2);
  expect(once.stderr()).toMatch(
    new RegExp(`ingest: cannot reach Temporal at 127\\.0\\.0\\.1:${temporalPort}: `),
  );
  expect(once.stderr()).not.toMatch(/trying again/);
});

test('consume-sqs: waits for Temporal within --connect-retry-for, then takes the queued message', async () => {
  const temporalPort = await freePort();
  const queue = await createQueue(sqs, `early-${uniqueSuffix()}`);
  const event = upsertEvent(`early-sqs-${uniqueSuffix()}`, { sequence: 1 });
  await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(event) }));
  const consumer = startConsumer(queue.url, {
    temporalAddress: `127.0.0.1:${temporalPort}`,
    taskQueue: `early-${uniqueSuffix()}`,
    sqsEndpoint: testIamEndpoint(),
    args: ['--connect-retry-for', '120'],
  });
  processes.push(consumer);
  await consumer.waitFor(waitingLine(temporalPort, '--connect-retry-for'));
  // Nothing was received while Temporal was away: the message is still there, not in flight.
  expect(await messagesIn(sqs, queue.url)).toBe(1);

  temporal = await startTemporal({ port: temporalPort });
  await until(async () => (await messagesIn(sqs, queue.url)) === 0, 'the queue empty', 90_000);
  const server = temporal;
  expect(await started(server.address, event)).toBe(true);
});
