// The Temporal UI as the console: search attributes, summaries and the policy workflow's queries, on
// the real dev server; and a namespace without the attributes fails loudly, or works with them off.
import { Client, Connection } from '@temporalio/client';
import { ConfigError } from '../../src/config/environment';
import { policyWorkflowId } from '../../src/domain/ids';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import { checkSearchAttributes } from '../../src/temporal/search-attribute-check';
import { submitEvent, type SubmitOptions } from '../../src/starter/submit';
import { lastAppliedQuery, pendingEventsQuery, policyStateQuery } from '../../src/messages/workflow-messages';
import { EVENT_SOURCE, EVENT_TYPE, OUTCOME, POLICY_NAME } from '../../src/messages/search-attributes';
import { uniqueSuffix } from '../../harness/env';
import { SOURCE, upsertEvent, deleteEvent } from '../../harness/events';
import { startProcess } from '../../harness/processes';
import { freePort, startTemporal, type RunningServer } from '../../harness/servers';
import { startService, type RunningService } from '../../harness/service';

let service: RunningService;
let options: SubmitOptions;

beforeAll(async () => {
  service = await startService();
  options = service.submitOptions();
});

afterAll(async () => {
  await service?.stop();
});

/** Visibility is eventually consistent: poll a list query until it returns `count` workflows. */
async function listUntil(client: Client, query: string, count: number, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = [];
    for await (const execution of client.workflow.list({ query })) found.push(execution);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

test('event workflows carry PolicyName, EventType, EventSource, Outcome and a summary; the policy workflow PolicyName', async () => {
  const name = `Console-${uniqueSuffix()}`;
  const key = name.toLowerCase();
  expect((await submitEvent(upsertEvent(name, { sequence: 1 }), options)).outcome).toBe('created');
  const second = upsertEvent(name, { sequence: 2, tags: { team: 'a' } });
  expect((await submitEvent(second, options)).outcome).toBe('updated');
  expect((await submitEvent(deleteEvent(name, { sequence: 3 }), options)).outcome).toBe('deleted');

  const events = await listUntil(
    service.client,
    `PolicyName = "${key}" AND WorkflowType = "eventWorkflow" AND Outcome IS NOT NULL`,
    3,
  );
  expect(events.map((e) => e.typedSearchAttributes.get(OUTCOME)).sort()).toEqual([
    'created',
    'deleted',
    'updated',
  ]);
  for (const execution of events) {
    expect(execution.typedSearchAttributes.get(POLICY_NAME)).toBe(key);
    expect(execution.typedSearchAttributes.get(EVENT_SOURCE)).toBe(SOURCE);
  }
  const deletes = await listUntil(
    service.client,
    `PolicyName = "${key}" AND EventType = "iam.policy.delete"`,
    1,
  );
  expect(deletes).toHaveLength(1);
  expect(deletes[0].typedSearchAttributes.get(EVENT_TYPE)).toBe('iam.policy.delete');

  const policies = await listUntil(
    service.client,
    `PolicyName = "${key}" AND WorkflowType = "policyWorkflow"`,
    1,
  );
  expect(policies.map((p) => p.workflowId)).toEqual([policyWorkflowId(name)]);

  const described = await service.client.workflow
    .getHandle(eventWorkflowId(SOURCE, second.id as string))
    .describe();
  expect(await described.staticSummary()).toBe(`upsert ${name} (seq 2) from ${SOURCE}`);
  expect(await described.staticDetails()).toMatch(/tags.*team/);
  const policy = await service.client.workflow.getHandle(policyWorkflowId(name)).describe();
  expect(await policy.staticSummary()).toMatch(new RegExp(`^policy ${key}`));
});

test('the policy workflow answers policyState, lastApplied and pendingEvents', async () => {
  const name = `console-q-${uniqueSuffix()}`;
  const last = upsertEvent(name, { sequence: 7 });
  await submitEvent(last, options);
  const handle = service.client.workflow.getHandle(policyWorkflowId(name));
  const state = await handle.query(policyStateQuery);
  expect(state).toMatchObject({ policyKey: name, pending: [], lastApplied: { id: last.id, sequence: '7' } });
  expect(state.applying).toBeUndefined();
  expect(await handle.query(lastAppliedQuery)).toMatchObject({
    position: { id: last.id, sequence: '7' },
    result: { outcome: 'created', policyName: name },
  });
  expect(await handle.query(pendingEventsQuery)).toEqual([]);
});

describe('a namespace without the search attributes', () => {
  let bare: RunningServer;
  let connection: Connection;

  beforeAll(async () => {
    bare = await startTemporal({ searchAttributes: [] });
    connection = await Connection.connect({ address: bare.address });
  });

  afterAll(async () => {
    await connection?.close();
    await bare?.stop();
  });

  test('the start-up check names every missing attribute and the command that adds it', async () => {
    const check = checkSearchAttributes(connection, 'default');
    await expect(check).rejects.toThrow(ConfigError);
    await expect(checkSearchAttributes(connection, 'default')).rejects.toThrow(
      /no search attributes PolicyName, EventType, EventSource, Outcome[\s\S]*temporal operator search-attribute create --namespace default --name PolicyName --type Keyword[\s\S]*TEMPORAL_SEARCH_ATTRIBUTES=off/,
    );
  });

  test('worker, starter, ingest and consume-sqs each stop at start with status 2 and the commands', async () => {
    const env = {
      TEMPORAL_ADDRESS: bare.address,
      TEMPORAL_TASK_QUEUE: `bare-${uniqueSuffix()}`,
      INGEST_PORT: String(await freePort()),
      INGEST_HOST: '127.0.0.1',
      INGEST_TOKEN: 'unused-but-long-enough',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ACCOUNT_ID: '123456789012',
    };
    const entryPoints: [string, string[]][] = [
      ['src/worker.ts', []],
      ['src/starter.ts', ['submit', '-']],
      ['src/ingest.ts', []],
      ['src/consume-sqs.ts', ['--queue-url', 'http://127.0.0.1:9/000000000000/unused']],
    ];
    const runs = entryPoints.map(([script, args]) => ({ script, run: startProcess(script, args, env) }));
    for (const { script, run } of runs) {
      // SIGCONT does not stop a process: this only waits for it to exit by itself.
      expect([script, await run.stop('SIGCONT')]).toEqual([script, 2]);
      expect([script, run.stderr()]).toEqual([
        script,
        expect.stringMatching(
          /no search attributes PolicyName, EventType, EventSource, Outcome[\s\S]*temporal operator search-attribute create --namespace default --name Outcome --type Keyword/,
        ),
      ]);
    }
  }, 60_000);

  test('a start names the missing attribute; with search attributes off the event is applied', async () => {
    const name = `console-bare-${uniqueSuffix()}`;
    const client = new Client({ connection });
    const taskQueue = `bare-${uniqueSuffix()}`;
    await expect(
      submitEvent(upsertEvent(name, { sequence: 1 }), { client, taskQueue, wait: false }),
      // The server names the first unknown attribute it meets, in no fixed order.
    ).rejects.toThrow(
      /has no search attribute (PolicyName|EventType|EventSource) [\s\S]*TEMPORAL_SEARCH_ATTRIBUTES=off/,
    );

    const off = await startService({ temporalAddress: bare.address, taskQueue, searchAttributes: false });
    try {
      const report = await submitEvent(upsertEvent(name, { sequence: 1 }), {
        client,
        taskQueue,
        wait: true,
        searchAttributes: false,
      });
      expect(report.outcome).toBe('created');
    } finally {
      await off.stop();
    }
  });
});
