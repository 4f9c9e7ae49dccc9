// Events the contract allows whose values are long or odd (512 emoji, 400 control characters in
// `source`) start on the real dev server: search attributes, summary and details are fitted to its
// limits (and to PostgreSQL's 255-character Keyword), the full values stay in the workflow's input;
// through the library, the starter CLI and the HTTP endpoint alike.
import { Client, Connection } from '@temporalio/client';
import { EVENT_SOURCE, keywordValue } from '../../src/messages/search-attributes';
import { submitEvent } from '../../src/starter/submit';
import { runCli } from '../../harness/cli';
import { testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { startIngest } from '../../harness/sources';

let connection: Connection;
let client: Client;
const taskQueue = `long-values-${uniqueSuffix()}`;
const started: string[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: testTemporalAddress() });
  client = new Client({ connection });
});

afterAll(async () => {
  // No worker polls this task queue: end what was started.
  await Promise.all(
    started.map((id) =>
      client.workflow
        .getHandle(id)
        .terminate('test cleanup')
        .catch(() => undefined),
    ),
  );
  await connection?.close();
});

test.each([
  ['512 emoji', '😀'.repeat(512)],
  ['400 control characters', '\u0001'.repeat(400)],
  ['512 ASCII characters', 's'.repeat(512)],
])('a source of %s is accepted, with a fitted EventSource', async (_name, source) => {
  const event = {
    specversion: '1.0',
    id: `long-${uniqueSuffix()}`,
    source,
    type: 'iam.policy.delete',
    data: { policyName: `long-values-${uniqueSuffix()}` },
  };
  const report = await submitEvent(event, { client, taskQueue, wait: false });
  expect(report).toEqual(expect.objectContaining({ outcome: 'accepted' }));
  started.push(report.workflowId!);
  const description = await client.workflow.getHandle(report.workflowId!).describe();
  expect(description.typedSearchAttributes.get(EVENT_SOURCE)).toBe(keywordValue(source));
  expect(Array.from(keywordValue(source)).length).toBeLessThanOrEqual(255);
});

test('the same through the starter CLI and the HTTP endpoint: accepted, the stream goes on', async () => {
  const event = (suffix: string) => ({
    specversion: '1.0',
    id: `long-${suffix}-${uniqueSuffix()}`,
    source: '😀'.repeat(512),
    type: 'iam.policy.delete',
    data: { policyName: `long-values-${uniqueSuffix()}` },
  });
  const env = { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE: taskQueue };
  const lines = [event('cli-a'), event('cli-b')];
  const cli = await runCli('src/starter.ts', ['submit', '-'], {
    env,
    stdin: lines.map((line) => JSON.stringify(line)).join('\n'),
  });
  expect(cli.code).toBe(0);
  expect(cli.lines().map((line) => line.outcome)).toEqual(['accepted', 'accepted']);
  started.push(...cli.lines().map((line) => String(line.workflowId)));

  const ingest = await startIngest(testTemporalAddress(), taskQueue);
  try {
    const response = await ingest.post(event('http'));
    const body = (await response.json()) as { outcome: string; workflowId: string };
    expect([response.status, body.outcome]).toEqual([202, 'accepted']);
    started.push(body.workflowId);
  } finally {
    await ingest.process.stop();
  }
});
