// The bench's floor (bench/floor/): the service's event workflow and worker with a policy workflow that
// answers at once. It must keep the service's shape (the event submitted by the starter library, handed
// over by update-with-start from a local activity to `policy/<name>`, search attributes, the signal path,
// continue-as-new at the history limit) and do no IAM work, or the floor-ratio scenario measures nothing.
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  bundleFloorWorkflows,
  SHAPED_FLOOR_WORKFLOWS_PATH,
  WRITES_FLOOR_WORKFLOWS_PATH,
} from '../../bench/floor/bundle';
import { countHistories } from '../../bench/history';
import { uniqueSuffix } from '../../harness/env';
import { deleteEvent, documentAllowing, policiesNamed, SOURCE, upsertEvent } from '../../harness/events';
import { countEvents, historyOf, historyWhen, localActivityTypes } from '../../harness/history';
import { startService, type RunningService } from '../../harness/service';
import { policyWorkflowId } from '../../src/domain/ids';
import { POLICY_NAME } from '../../src/messages/search-attributes';
import { submitEvent } from '../../src/starter/submit';
import { eventWorkflowId } from '../../src/temporal/event-identity';

let bundle: WorkflowBundleWithSourceMap;
const running: RunningService[] = [];

beforeAll(async () => {
  bundle = await bundleFloorWorkflows();
});

afterAll(async () => {
  await Promise.all(running.map((service) => service.stop()));
});

async function floorWith(options: Parameters<typeof startService>[0] = {}): Promise<RunningService> {
  const service = await startService({ ...options, workflowBundle: bundle });
  running.push(service);
  return service;
}

test('an event goes the service way to policy/<name> by update and is answered at once, with no IAM work', async () => {
  const floor = await floorWith();
  const name = `floor-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  const report = await submitEvent(event, floor.submitOptions());
  expect(report).toMatchObject({ outcome: 'unchanged', reason: 'floor: no IAM work' });

  const workflowId = eventWorkflowId(SOURCE, String(event.id));
  const eventHistory = await historyOf(floor.client, workflowId);
  expect(countEvents(eventHistory, 'workflowTaskCompletedEventAttributes')).toBe(1);
  expect(countEvents(eventHistory, 'workflowExecutionSignaledEventAttributes')).toBe(0);
  expect(localActivityTypes(eventHistory)).toEqual(['deliverEventAndWait']);
  const described = await floor.client.workflow.getHandle(workflowId).describe();
  expect(described.typedSearchAttributes.get(POLICY_NAME)).toBe(name.toLowerCase());

  const policyId = policyWorkflowId(name);
  const policyHistory = await historyWhen(
    floor.client,
    policyId,
    (events) => countEvents(events, 'workflowExecutionUpdateCompletedEventAttributes') === 1,
  );
  expect(countEvents(policyHistory, 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(1);
  expect(countEvents(policyHistory, 'activityTaskScheduledEventAttributes')).toBe(0);
  expect(localActivityTypes(policyHistory)).toEqual([]);
  const policy = await floor.client.workflow.getHandle(policyId).describe();
  expect(policy.typedSearchAttributes.get(POLICY_NAME)).toBe(name.toLowerCase());
  expect(await policiesNamed(floor.iam, name)).toHaveLength(0);

  // A redelivery is caught by the event workflow's ID, as in the service.
  expect((await submitEvent(event, floor.submitOptions())).outcome).toBe('duplicate');
});

test('with updates off, an event goes by signal and its result comes back by signal', async () => {
  const floor = await floorWith({ delivery: { resultWaitMs: 0 } });
  const name = `floor-signal-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  expect((await submitEvent(event, floor.submitOptions())).outcome).toBe('unchanged');
  const eventHistory = await historyOf(floor.client, eventWorkflowId(SOURCE, String(event.id)));
  expect(countEvents(eventHistory, 'workflowExecutionSignaledEventAttributes')).toBe(1);
  const policyHistory = await historyOf(floor.client, policyWorkflowId(name));
  expect(localActivityTypes(policyHistory)).toContain('sendEventResults');
});

test('the policy workflow continues as new at the history limit and answers the events after it', async () => {
  const floor = await floorWith({ policyHistoryLimit: 20 });
  const name = `floor-can-${uniqueSuffix()}`;
  for (let sequence = 1; sequence <= 8; sequence += 1) {
    const report = await submitEvent(upsertEvent(name, { sequence }), floor.submitOptions());
    expect(report.outcome).toBe('unchanged');
  }
  const current = await historyOf(floor.client, policyWorkflowId(name));
  expect(current[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
});

test.each([
  ['a local activity per event', SHAPED_FLOOR_WORKFLOWS_PATH, 4],
  ['no local activity (FLOOR_SHAPE=writes)', WRITES_FLOOR_WORKFLOWS_PATH, 0],
])(
  "the shaped floor takes the service's steps around IAM, no IAM: %s, an activity per write",
  async (_, path, observations) => {
    const shaped = await startService({ workflowBundle: await bundleFloorWorkflows(path) });
    running.push(shaped);
    const name = `floor-shaped-${uniqueSuffix()}`;
    const events = [
      upsertEvent(name, { sequence: 1 }), // would create: a write
      upsertEvent(name, { sequence: 2 }), // the same document: observed only
      upsertEvent(name, { sequence: 3, document: documentAllowing(['s3:*']) }), // would update: a write
      deleteEvent(name, { sequence: 4 }), // would delete: a write
    ];
    for (const event of events) {
      expect((await submitEvent(event, shaped.submitOptions())).outcome).toBe('unchanged');
    }
    const history = await historyWhen(
      shaped.client,
      policyWorkflowId(name),
      (found) => countEvents(found, 'workflowExecutionUpdateCompletedEventAttributes') === 4,
    );
    expect(localActivityTypes(history)).toEqual(Array(observations).fill('sendEventResults'));
    expect(countEvents(history, 'activityTaskCompletedEventAttributes')).toBe(3);
    expect(await policiesNamed(shaped.iam, name)).toHaveLength(0);
  },
);

test("the bench's history count: every event and policy workflow of the queue, events and bytes as the server counts them", async () => {
  const floor = await floorWith();
  const names = [`count-${uniqueSuffix()}`, `count-${uniqueSuffix()}`];
  const events = [upsertEvent(names[0]), upsertEvent(names[1]), upsertEvent(names[0])];
  for (const event of events) await submitEvent(event, floor.submitOptions());

  const { counts } = await countHistories(floor.client, floor.taskQueue, events.length);
  const histories = [
    ...events.map((event) => eventWorkflowId(SOURCE, String(event.id))),
    ...names.map((name) => policyWorkflowId(name)),
  ];
  const described = await Promise.all(histories.map((id) => floor.client.workflow.getHandle(id).describe()));
  const sum = (list: typeof described, pick: (d: (typeof described)[number]) => number) =>
    list.reduce((total, d) => total + pick(d), 0);
  expect(counts).toEqual({
    eventWorkflows: 3,
    eventWorkflowEvents: sum(described.slice(0, 3), (d) => d.historyLength),
    eventWorkflowBytes: sum(described.slice(0, 3), (d) => d.historySize ?? 0),
    policyWorkflowRuns: 2,
    policyWorkflowEvents: sum(described.slice(3), (d) => d.historyLength),
    policyWorkflowBytes: sum(described.slice(3), (d) => d.historySize ?? 0),
  });
  expect(counts.eventWorkflowBytes).toBeGreaterThan(1_000 * 3);
});
