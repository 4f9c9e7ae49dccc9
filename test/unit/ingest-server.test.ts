// The ingest server without Temporal (a stub submit): batch size bound, concurrent submission across
// policies with per-policy order kept, rejected events logged with id, source and reason, and a client
// that disconnects mid-body logged as such (no error with a stack).
import { connect, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createIngestServer, type IngestDependencies } from '../../src/sources/http/server';
import type { SubmitReport } from '../../src/starter/submit';

interface Logged {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

function recordingLogger(into: Logged[]): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void => {
      into.push({ level, fields, msg });
    };
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as Logger;
}

async function serve(
  deps: Partial<IngestDependencies>,
  logs: Logged[],
): Promise<{ server: Server; url: string }> {
  const server = createIngestServer({
    submit: () => Promise.resolve({ outcome: 'accepted' }),
    ready: () => Promise.resolve(true),
    bodyLimit: 1024 * 1024,
    logger: recordingLogger(logs),
    ...deps,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const event = (policyName: string, id: string) => ({
  specversion: '1.0',
  id,
  source: 'urn:test',
  type: 'iam.policy.delete',
  data: { policyName },
});

const postBatch = (url: string, events: unknown[]) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(events),
  });

let running: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => running?.close(resolve));
  running = undefined;
});

test('a batch over the limit is refused whole with 413', async () => {
  const submitted: unknown[] = [];
  const { server, url } = await serve(
    {
      batchLimit: 3,
      submit: (raw) => {
        submitted.push(raw);
        return Promise.resolve({ outcome: 'accepted' });
      },
    },
    [],
  );
  running = server;
  const response = await postBatch(
    url,
    [1, 2, 3, 4].map((n) => event(`p${n}`, `e${n}`)),
  );
  expect(response.status).toBe(413);
  expect(((await response.json()) as { error: string }).error).toMatch(/4 events, over the limit of 3/);
  expect(submitted).toEqual([]);
});

test('a batch is submitted concurrently across policies, in order within one policy', async () => {
  const order: string[] = [];
  const submit = async (raw: unknown): Promise<SubmitReport> => {
    const { id, data } = raw as { id: string; data: { policyName: string } };
    await new Promise((resolve) => setTimeout(resolve, 100));
    order.push(`${data.policyName}:${id}`);
    return { outcome: 'accepted', id };
  };
  const { server, url } = await serve({ submit }, []);
  running = server;
  const events = [
    ...Array.from({ length: 20 }, (_, n) => event(`policy-${n}`, `e${n}`)),
    event('Same', 's1'),
    event('same', 's2'),
    event('SAME', 's3'),
  ];
  const started = Date.now();
  const response = await postBatch(url, events);
  const elapsed = Date.now() - started;
  expect(response.status).toBe(202);
  // One at a time would take 23 x 100 ms.
  expect(elapsed).toBeLessThan(1500);
  const body = (await response.json()) as { results: { id: string }[] };
  expect(body.results.map((r) => r.id)).toEqual(events.map((e) => e.id));
  expect(order.filter((entry) => entry.toLowerCase().startsWith('same:'))).toEqual([
    'Same:s1',
    'same:s2',
    'SAME:s3',
  ]);
});

test('a rejected event is logged with its id, source and reason', async () => {
  const logs: Logged[] = [];
  const submit = (raw: unknown): Promise<SubmitReport> =>
    Promise.resolve({
      outcome: 'rejected',
      id: (raw as { id: string }).id,
      source: 'urn:test',
      reason: 'bad',
    });
  const { server, url } = await serve({ submit }, logs);
  running = server;
  await postBatch(url, [event('p', 'evt-9')]);
  expect(logs).toContainEqual(
    expect.objectContaining({
      level: 'warn',
      fields: expect.objectContaining({
        outcome: 'rejected',
        id: 'evt-9',
        source: 'urn:test',
        reason: 'bad',
      }),
    }),
  );
});

test('a client that disconnects mid-body is logged as such, not as an error', async () => {
  const logs: Logged[] = [];
  const { server } = await serve({}, logs);
  running = server;
  const { port } = server.address() as AddressInfo;
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/cloudevents+json\r\nContent-Length: 1000\r\n\r\n{"id":',
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  expect(logs).toContainEqual(
    expect.objectContaining({ msg: 'client disconnected before its request was answered' }),
  );
});
