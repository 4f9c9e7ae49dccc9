// `npm run ingest` as a child process in front of the real dev server and worker: the CloudEvents HTTP
// binding's three modes, the status codes, auth, the body limit, health and readiness.
import { eventWorkflowId } from '../../src/temporal/event-identity';
import type { eventWorkflow } from '../../src/workflows/event-workflow';
import { runCli } from '../../harness/cli';
import { testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { deleteEvent, documentAllowing, SOURCE, upsertEvent } from '../../harness/events';
import { startProcess, type ServiceProcess } from '../../harness/processes';
import { freePort, startTemporal } from '../../harness/servers';
import { startService, type RunningService } from '../../harness/service';
import { ingestEnvironment, INGEST_TOKEN } from '../../harness/sources';

const TOKEN = INGEST_TOKEN;
let service: RunningService;
let ingest: ServiceProcess;
let url: string;

beforeAll(async () => {
  service = await startService();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  ingest = startProcess(
    'src/ingest.ts',
    [],
    ingestEnvironment(testTemporalAddress(), service.taskQueue, port),
  );
  await ingest.waitFor(/ingest: listening/);
});

afterAll(async () => {
  await ingest?.stop();
  await service?.stop();
});

/** A single event's answer, an error, or a batch's results. */
interface IngestAnswer {
  outcome?: string;
  workflowId?: string;
  error?: string;
  results: { status: number; outcome: string }[];
}

async function post(body: string, headers: Record<string, string>, path = '/') {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as IngestAnswer };
}

const structured = (event: unknown) =>
  post(JSON.stringify(event), { 'content-type': 'application/cloudevents+json' });

test('structured mode: 202 with the workflow ID once started, 200 for a duplicate, 409 for a conflict, 400 with reasons', async () => {
  const name = `ingest-s-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  const accepted = await structured(event);
  expect(accepted).toEqual({
    status: 202,
    body: expect.objectContaining({
      outcome: 'accepted',
      workflowId: eventWorkflowId(SOURCE, event.id as string),
      policyName: name,
    }),
  });
  const outcome = await service.client.workflow
    .getHandle<typeof eventWorkflow>(accepted.body.workflowId!)
    .result();
  expect(outcome.outcome).toBe('created');

  const again = await structured(event);
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ outcome: 'duplicate', firstOutcome: 'created' });

  const conflict = await structured({
    ...event,
    data: { policyName: name, document: documentAllowing(['ec2:*']) },
  });
  expect(conflict.status).toBe(409);
  expect(conflict.body).toMatchObject({ outcome: 'conflict' });

  const invalid = await structured({ ...upsertEvent(name), type: 'iam.policy.rename' });
  expect(invalid.status).toBe(400);
  expect(invalid.body).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/type/) });
});

test('binary mode: ce-* headers and the data as the body; no time is invented for the event', async () => {
  const name = `ingest-b-${uniqueSuffix()}`;
  const id = `bin-${uniqueSuffix()}`;
  const headers = {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': SOURCE,
    'ce-type': 'iam.policy.upsert',
    'ce-sequence': '3',
  };
  const body = JSON.stringify({ policyName: name, document: documentAllowing(['s3:GetObject']) });
  const accepted = await post(body, headers, '/events');
  expect(accepted.status).toBe(202);
  const handle = service.client.workflow.getHandle<typeof eventWorkflow>(eventWorkflowId(SOURCE, id));
  expect((await handle.result()).outcome).toBe('created');
  // Had the package's default time been kept, this redelivery would carry another time: a conflict.
  const again = await post(body, headers, '/events');
  expect(again).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
});

test('batch mode: every event answered in order; the status is the most severe one', async () => {
  const name = `ingest-batch-${uniqueSuffix()}`;
  const first = upsertEvent(name, { sequence: 1 });
  const batch = [
    first,
    { specversion: '1.0', id: 'x', type: 'iam.policy.upsert' },
    deleteEvent(name, { sequence: 2 }),
  ];
  const response = await post(JSON.stringify(batch), {
    'content-type': 'application/cloudevents-batch+json',
  });
  expect(response.status).toBe(400);
  expect(response.body.results.map((r) => [r.status, r.outcome])).toEqual([
    [202, 'accepted'],
    [400, 'rejected'],
    [202, 'accepted'],
  ]);
  const retry = await post(JSON.stringify([first]), { 'content-type': 'application/cloudevents-batch+json' });
  expect(retry.status).toBe(200);
  expect(retry.body.results[0]).toMatchObject({ outcome: 'duplicate', status: 200 });
});

test('401 without the token, 413 over the body limit, 415 for other media types, 400 for bad JSON', async () => {
  const event = JSON.stringify(upsertEvent(`ingest-auth-${uniqueSuffix()}`));
  const anonymous = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: event,
  });
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  const wrong = await post(event, {
    'content-type': 'application/cloudevents+json',
    authorization: 'Bearer nope',
  });
  expect(wrong.status).toBe(401);

  const huge = await post(JSON.stringify({ padding: 'x'.repeat(70000) }), {
    'content-type': 'application/cloudevents+json',
  });
  expect(huge.status).toBe(413);
  expect(huge.body.error).toMatch(/limit of 65536 bytes/);

  expect((await post(event, { 'content-type': 'text/plain' })).status).toBe(415);
  const broken = await post('{nope', { 'content-type': 'application/cloudevents+json' });
  expect(broken).toMatchObject({ status: 400, body: { error: expect.stringMatching(/not valid JSON/) } });
});

test('/healthz answers while the process runs; /readyz and event posts answer 503 while Temporal is unreachable', async () => {
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  expect((await fetch(`${url}/readyz`)).status).toBe(200);

  const temporal = await startTemporal();
  const port = await freePort();
  const other = startProcess('src/ingest.ts', [], ingestEnvironment(temporal.address, 'unused', port));
  try {
    await other.waitFor(/ingest: listening/);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    await temporal.stop();
    const notReady = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(notReady.status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    // An event cannot be accepted now: 503 with Retry-After, so the sender keeps it and tries again.
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(upsertEvent(`ingest-down-${uniqueSuffix()}`, { sequence: 1 })),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(((await response.json()) as IngestAnswer).error).toMatch(/Temporal is unavailable/);
  } finally {
    await other.stop();
    await temporal.stop();
  }
});

test('a Temporal that hangs (SIGSTOP) gets every request answered 503 with Retry-After by the deadline; after SIGCONT a retry is accepted or a duplicate', async () => {
  const temporal = await startTemporal();
  const port = await freePort();
  const other = startProcess('src/ingest.ts', [], {
    ...ingestEnvironment(temporal.address, 'unused', port),
    INGEST_REQUEST_TIMEOUT_MS: '2000',
  });
  const postEvent = (event: unknown) =>
    fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(30_000),
    });
  try {
    await other.waitFor(/ingest: listening/);
    expect((await postEvent(upsertEvent(`ingest-hang-a-${uniqueSuffix()}`, { sequence: 1 }))).status).toBe(
      202,
    );
    temporal.process.kill('SIGSTOP');
    const event = upsertEvent(`ingest-hang-b-${uniqueSuffix()}`, { sequence: 1 });
    const before = Date.now();
    const response = await postEvent(event);
    expect(response.status).toBe(503);
    expect(Date.now() - before).toBeLessThan(10_000);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(((await response.json()) as IngestAnswer).error).toMatch(/Temporal is unavailable/);
    temporal.process.kill('SIGCONT');
    // The hung start may or may not have reached Temporal: the retry is accepted or a duplicate.
    let retried = 503;
    for (let attempt = 0; attempt < 20 && retried === 503; attempt += 1) {
      retried = (await postEvent(event)).status;
      if (retried === 503) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect([200, 202]).toContain(retried);
  } finally {
    temporal.process.kill('SIGCONT');
    await other.stop();
    await temporal.stop();
  }
});

test('without INGEST_TOKEN (and without INGEST_AUTH=off) it refuses to start, naming the variable', async () => {
  const env = ingestEnvironment(testTemporalAddress(), 'unused', await freePort());
  const refused = startProcess('src/ingest.ts', [], { ...env, INGEST_TOKEN: '' });
  expect(await refused.stop('SIGCONT')).toBe(2);
  expect(refused.stderr()).toMatch(/INGEST_TOKEN: required/);
});

test('--help prints the usage and exits 0 without starting; an argument is a usage error', async () => {
  const help = await runCli('src/ingest.ts', ['--help'], { env: { INGEST_TOKEN: '' } });
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/Usage: ingest/);
  expect(help.stdout).toMatch(/INGEST_REQUEST_TIMEOUT_MS/);
  expect((await runCli('src/ingest.ts', ['extra'], { env: { INGEST_TOKEN: '' } })).code).toBe(2);
});
