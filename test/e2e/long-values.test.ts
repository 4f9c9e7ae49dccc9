// Events the contract allows whose values are long or odd (512 emoji, 400 control characters in
// `source`) start on the real dev server: search attributes, summary and details are fitted to its
// limits (and to PostgreSQL's 255-character Keyword), the full values stay in the workflow's input.
import { Client, Connection } from '@temporalio/client';
import { EVENT_SOURCE, keywordValue } from '../../src/messages/search-attributes';
import { submitEvent } from '../../src/starter/submit';
import { testTemporalAddress, uniqueSuffix } from '../../harness/env';

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
