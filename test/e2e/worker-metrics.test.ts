// The worker as it runs in production (`npm run worker`, a child process) with METRICS_PORT, LOG_LEVEL=info
// and its task slots set: its Prometheus counters move with the events, each outcome is one JSON log line,
// and the SDK's slot gauges show the slots configured.
import { CreatePolicyCommand } from '@aws-sdk/client-iam';
import { Client, Connection } from '@temporalio/client';
import { submitEvent, type SubmitOptions } from '../../src/starter/submit';
import { motoEnvironment } from '../../harness/cli';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { documentAllowing, upsertEvent } from '../../harness/events';
import { fetchText, metricValue, startProcess, type ServiceProcess } from '../../harness/processes';
import { freePort } from '../../harness/servers';
import { MANAGED_BY, testIamClient } from '../../harness/service';

let worker: ServiceProcess;
let connection: Connection;
let options: SubmitOptions;
let metricsUrl: string;
/** Not the SDK's defaults (40, 100, 100), so the gauges show they were taken up. */
const SLOTS = {
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '24',
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '30',
  WORKER_MAX_CONCURRENT_ACTIVITIES: '12',
};

beforeAll(async () => {
  const taskQueue = `metrics-${uniqueSuffix()}`;
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = startProcess('src/worker.ts', [], {
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    METRICS_PORT: String(port),
    METRICS_HOST: '127.0.0.1',
    IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT: '100',
    LOG_LEVEL: 'info',
    ...SLOTS,
    ...motoEnvironment(testIamEndpoint()),
  });
  connection = await Connection.connect({ address: testTemporalAddress() });
  options = { client: new Client({ connection }), taskQueue, wait: true, reservedTagKeys: [MANAGED_BY.key] };
  await worker.waitFor(/worker: polling task queue/, 90000);
});

afterAll(async () => {
  await connection?.close();
  await worker?.stop();
});

test('counters of events by type and outcome, IAM calls by action and code, latency, and the SDK metrics move', async () => {
  const before = (await fetchText(metricsUrl)).text;
  const name = `metrics-${uniqueSuffix()}`;
  expect((await submitEvent(upsertEvent(name, { sequence: 1 }), options)).outcome).toBe('created');
  const update = upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:*']) });
  expect((await submitEvent(update, options)).outcome).toBe('updated');
  // A policy the service does not own: rejected by the workflow.
  const foreign = `metrics-foreign-${uniqueSuffix()}`;
  const iam = testIamClient();
  await iam.send(
    new CreatePolicyCommand({
      PolicyName: foreign,
      PolicyDocument: JSON.stringify(documentAllowing(['s3:*'])),
    }),
  );
  iam.destroy();
  expect((await submitEvent(upsertEvent(foreign), options)).outcome).toBe('rejected');

  const { status, text } = await fetchText(metricsUrl);
  expect(status).toBe(200);
  const delta = (metric: string, labels: Record<string, string>) =>
    metricValue(text, metric, labels) - metricValue(before, metric, labels);
  const events = 'iam_policy_events_events_total';
  expect(delta(events, { type: 'iam.policy.upsert', outcome: 'created' })).toBe(1);
  expect(delta(events, { type: 'iam.policy.upsert', outcome: 'updated' })).toBe(1);
  expect(delta(events, { type: 'iam.policy.upsert', outcome: 'rejected' })).toBe(1);
  const calls = 'iam_policy_events_iam_calls_total';
  expect(delta(calls, { action: 'CreatePolicy', code: 'OK' })).toBe(1);
  expect(delta(calls, { action: 'CreatePolicyVersion', code: 'OK' })).toBe(1);
  // The first look at an absent policy: GetPolicy answers NoSuchEntity.
  expect(delta(calls, { action: 'GetPolicy', code: 'NoSuchEntity' })).toBeGreaterThanOrEqual(1);
  expect(delta('iam_policy_events_event_latency_seconds_count', { type: 'iam.policy.upsert' })).toBe(3);
  // Each attempt timed at IAM, and each call's wait for the account's caps (a slot, then a token) recorded.
  const callSeconds = 'iam_policy_events_iam_call_seconds';
  expect(delta(`${callSeconds}_count`, { action: 'CreatePolicy', account: 'default' })).toBe(1);
  expect(delta(`${callSeconds}_sum`, { action: 'CreatePolicy' })).toBeGreaterThan(0);
  const allCalls = delta(calls, {});
  expect(delta(`${callSeconds}_count`, {})).toBe(allCalls);
  const waits = 'iam_policy_events_iam_cap_wait_seconds_count';
  expect(delta(waits, { account: 'default', cap: 'in-flight' })).toBe(allCalls);
  expect(delta(waits, { account: 'default', cap: 'rate' })).toBe(allCalls);
  // The Temporal SDK's runtime metrics, merged into the same endpoint.
  expect(text).toMatch(/^temporal_workflow_completed\{/m);
  // The activities run as local activities on the quick path.
  expect(text).toMatch(/^temporal_local_activity_execution_latency/m);
});

test('one JSON log line per event outcome, with event ID, policy, outcome, IAM calls and duration', async () => {
  const name = `logs-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  await submitEvent(event, options);
  // The sink runs right after the workflow task that completes the workflow; give stdout a moment.
  const deadline = Date.now() + 5000;
  let line: Record<string, unknown> | undefined;
  while (!line && Date.now() < deadline) {
    line = worker.logLines().find((entry) => entry.event === 'outcome' && entry.eventId === event.id);
    if (!line) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(line).toMatchObject({
    level: 30,
    msg: 'event finished',
    eventId: event.id,
    policy: name,
    outcome: 'created',
    iamCalls: ['CreatePolicy'],
    type: 'iam.policy.upsert',
  });
  expect(typeof line?.durationMs).toBe('number');
  // Every line on stdout is JSON.
  for (const text of worker.stdout().split('\n').filter(Boolean)) {
    expect(() => JSON.parse(text) as unknown).not.toThrow();
  }
});

test('the worker runs with the task slots its environment sets', async () => {
  const { text } = await fetchText(metricsUrl);
  const slots = (workerType: string) =>
    metricValue(text, 'temporal_worker_task_slots_available', { worker_type: workerType }) +
    metricValue(text, 'temporal_worker_task_slots_used', { worker_type: workerType });
  expect({
    workflowTasks: slots('WorkflowWorker'),
    localActivities: slots('LocalActivityWorker'),
    activities: slots('ActivityWorker'),
  }).toEqual({ workflowTasks: 24, localActivities: 30, activities: 12 });
});

test('SIGTERM stops the worker gracefully', async () => {
  expect(await worker.stop('SIGTERM')).toBe(0);
  expect(worker.stderr()).toMatch(/worker: stopped/);
});
