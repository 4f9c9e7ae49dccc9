// One table of bad events through every source (the starter, HTTP structured, binary and batch, SQS):
// each is refused with the same reason and nothing is started; no source fills in a missing field.
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { readEvents } from '../../src/sources/ndjson-input';
import { createIngestServer } from '../../src/sources/http/server';
import { handleMessage } from '../../src/sources/sqs/consumer';
import { submitEvent, type SubmitOptions, type SubmitReport } from '../../src/starter/submit';
import { submitStream } from '../../src/starter/submit-stream';

const good = {
  specversion: '1.0',
  id: 'evt-1',
  source: 'urn:test:bad-events',
  type: 'iam.policy.delete',
  data: { policyName: 'bad-events' },
};

function without(key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...good };
  delete copy[key];
  return copy;
}

/** [name, event, the reason every source gives]. */
export const BAD_EVENTS: [string, Record<string, unknown>, string][] = [
  ['no id', without('id'), 'missing required field id'],
  ['an empty id', { ...good, id: '' }, 'id must not be empty'],
  ['no specversion', without('specversion'), 'missing required field specversion'],
  ['specversion 0.3', { ...good, specversion: '0.3' }, 'specversion must be "1.0"'],
  ['no source', without('source'), 'missing required field source'],
  ['an empty source', { ...good, source: '' }, 'source must not be empty'],
  ['no type', without('type'), 'missing required field data.document; missing required field type'],
];

const starts: unknown[] = [];
const client = {
  options: { namespace: 'default' },
  workflow: {
    start: (...args: unknown[]) => {
      starts.push(args);
      return Promise.reject(new Error('a bad event must never be started'));
    },
  },
} as unknown as Client;
const options: SubmitOptions = { client, taskQueue: 'unused', wait: false };
const submit = (raw: unknown) => submitEvent(raw, options);

const silent = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;
const server = createIngestServer({
  submit,
  ready: () => Promise.resolve(true),
  bodyLimit: 65536,
  logger: silent,
});
let url: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => expect(starts.splice(0)).toEqual([]));

async function post(headers: Record<string, string>, body: string) {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Binary mode: every attribute but `data` as a ce-* header, the data as a JSON body. */
function binaryHeaders(event: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [key, value] of Object.entries(event)) if (key !== 'data') headers[`ce-${key}`] = String(value);
  return headers;
}

describe.each(BAD_EVENTS)('an event with %s', (_name, event, reason) => {
  test('the starter: rejected with the reason', async () => {
    const reports: SubmitReport[] = [];
    await submitStream(
      readEvents(Readable.from([`${JSON.stringify(event)}\n`])),
      { ...options, concurrency: 2 },
      (r) => reports.push(r),
    );
    expect(reports).toEqual([expect.objectContaining({ outcome: 'rejected', reason: `line 1: ${reason}` })]);
  });

  test('HTTP structured: 400 with the reason', async () => {
    const answer = await post({ 'content-type': 'application/cloudevents+json' }, JSON.stringify(event));
    expect(answer).toEqual({ status: 400, body: expect.objectContaining({ outcome: 'rejected', reason }) });
  });

  test('HTTP binary: 400 with the reason', async () => {
    const answer = await post(binaryHeaders(event), JSON.stringify(event.data));
    expect(answer).toEqual({ status: 400, body: expect.objectContaining({ outcome: 'rejected', reason }) });
  });

  test('HTTP batch: 400, that event rejected with the reason, the others unaffected', async () => {
    const answer = await post(
      { 'content-type': 'application/cloudevents-batch+json' },
      JSON.stringify([event, { ...event }]),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.results).toEqual([
      expect.objectContaining({ status: 400, outcome: 'rejected', reason }),
      expect.objectContaining({ status: 400, outcome: 'rejected', reason }),
    ]);
  });

  test('SQS: left for the dead-letter queue, never deleted, logged with the reason', async () => {
    const sent: unknown[] = [];
    const warnings: unknown[] = [];
    const logger = { ...silent, warn: (fields: unknown) => warnings.push(fields) } as unknown as Logger;
    const message: Message = { MessageId: 'm-1', ReceiptHandle: 'r-1', Body: JSON.stringify(event) };
    const disposition = await handleMessage(message, {
      sqs: { send: (command: unknown) => Promise.resolve(sent.push(command)) } as unknown as SQSClient,
      queueUrl: 'http://sqs.invalid/000000000000/q',
      submit,
      logger,
      waitTimeSeconds: 1,
      maxMessages: 1,
      signal: new AbortController().signal,
    });
    expect(disposition).toBe('left');
    expect(sent).toEqual([]);
    expect(warnings).toEqual([expect.objectContaining({ messageId: 'm-1', outcome: 'rejected', reason })]);
  });
});
