// The workflows' activities run as local activities (markers in history, no activity tasks) and fall
// over to ordinary activities when IAM keeps failing: the operator then sees a pending activity with its
// attempts and last failure (in `starter status` too), and the event still completes once IAM answers
// again. The IAM write is the exception: always an activity task, so that it is recorded in history
// before IAM is touched.
import { policyWorkflowId } from '../../src/domain/ids';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import { eventStatus } from '../../src/starter/event-status';
import { submitEvent, type SubmitOptions } from '../../src/starter/submit';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { policiesNamed, SOURCE, upsertEvent } from '../../harness/events';
import {
  historyOf,
  localActivityMarkers,
  localActivityTypes,
  type HistoryEvent,
} from '../../harness/history';
import { startIamProxy, unavailableForPolicy, type IamProxy } from '../../harness/iam-proxy';
import { startService, type RunningService } from '../../harness/service';

let proxy: IamProxy;
let service: RunningService;
let submitOptions: SubmitOptions;

beforeAll(async () => {
  proxy = await startIamProxy(testIamEndpoint(), { strict: true });
  service = await startService({ iamEndpoint: proxy.endpoint });
  submitOptions = service.submitOptions();
});

afterAll(async () => {
  await service?.stop();
  await proxy?.close();
});

afterEach(() => proxy.clearRules());

const scheduledActivities = (events: HistoryEvent[]) =>
  events.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('on the quick path every activity but the write is local: markers in history; the write is an activity task', async () => {
  const name = `local-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  const report = await submitEvent(event, { ...submitOptions, wait: true });
  expect(report.outcome).toBe('created');

  const eventHistory = await historyOf(service.client, eventWorkflowId(SOURCE, String(event.id)));
  expect(scheduledActivities(eventHistory)).toEqual([]);
  expect(localActivityMarkers(eventHistory)).toHaveLength(1); // deliverEventAndWait

  // The result is the update's answer, which the server gives only once the policy workflow's task (and
  // its markers) is in history.
  const policyHistory = await historyOf(service.client, policyWorkflowId(name));
  expect(scheduledActivities(policyHistory)).toEqual(['applyPlan']);
  expect(localActivityTypes(policyHistory)).toEqual(['inspectPolicy']);
  // The observation and the write's plan with the event that made it (the activity's input: the audit
  // record's source and id) reach history together, from the workflow task that decided: the server
  // hands the write to a worker only then.
  const observed = policyHistory.findIndex((event) => event.markerRecordedEventAttributes);
  const scheduled = policyHistory.findIndex((event) => event.activityTaskScheduledEventAttributes);
  expect(scheduled).toBe(observed + 1);
  expect(policyHistory[scheduled].activityTaskScheduledEventAttributes?.input?.payloads?.length).toBe(2);
  expect(localActivityTypes(eventHistory)).toEqual(['deliverEventAndWait']);
});

test('when IAM keeps failing, the call becomes a pending activity with its failure, and completes later', async () => {
  const name = `fallback-${uniqueSuffix()}`;
  // Every GetPolicy of this policy fails with a 5xx until the rule is removed.
  proxy.addRule(unavailableForPolicy('GetPolicy', name));
  const event = upsertEvent(name, { sequence: 1 });
  const handle = await submitEvent(event, { ...submitOptions, wait: false });
  expect(handle.outcome).toBe('accepted');

  const policy = service.client.workflow.getHandle(policyWorkflowId(name));
  let pending: Awaited<ReturnType<typeof policy.describe>>['raw']['pendingActivities'];
  const deadline = Date.now() + 90_000;
  do {
    await sleep(500);
    pending = (await policy.describe().catch(() => undefined))?.raw.pendingActivities;
  } while (!pending?.some((activity) => (activity.attempt ?? 0) >= 2) && Date.now() < deadline);

  // What the UI shows: the activity, its attempts so far and IAM's answer.
  expect(pending).toHaveLength(1);
  const [activity] = pending ?? [];
  expect(activity.activityType?.name).toBe('inspectPolicy');
  expect(activity.lastFailure?.message).toMatch(/ServiceUnavailable|Service is unavailable/);
  expect(await policiesNamed(service.iam, name)).toHaveLength(0);
  // What `starter status` says of the event meanwhile: applying, and the retried call with IAM's answer.
  expect(await eventStatus(service.client, SOURCE, String(event.id))).toEqual(
    expect.objectContaining({
      outcome: 'running',
      stage: 'applying',
      retrying: {
        activity: 'inspectPolicy',
        attempt: expect.any(Number) as number,
        lastError: expect.stringMatching(/ServiceUnavailable|Service is unavailable/) as string,
      },
    }),
  );

  proxy.clearRules();
  const result = await service.client.workflow.getHandle(eventWorkflowId(SOURCE, String(event.id))).result();
  expect(result).toMatchObject({ outcome: 'created', policyName: name });
  expect(await policiesNamed(service.iam, name)).toHaveLength(1);

  const policyHistory = await historyOf(service.client, policyWorkflowId(name));
  // inspectPolicy: its local attempts failed (one marker with the last failure), then the activity;
  // then the write, an activity as always.
  expect(scheduledActivities(policyHistory)).toEqual(['inspectPolicy', 'applyPlan']);
  const markers = localActivityMarkers(policyHistory);
  expect(markers.map((marker) => marker.markerRecordedEventAttributes?.failure?.message)).toEqual([
    'Service is unavailable.',
  ]);
}, 150_000);
