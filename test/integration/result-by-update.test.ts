// An event workflow hands its event to the policy workflow as an update and gets the result as the answer,
// so it usually ends in its first workflow task. When no answer comes in time (a slow policy, too many
// waiting, the policy workflow handing over to a new run) the event goes by signal and still gets its result.
import type { temporal } from '@temporalio/proto';
import { policyWorkflowId } from '../../src/domain/ids';
import { eventWorkflowId } from '../../src/event-identity';
import { submitEvent } from '../../src/starter/submit';
import { testIamEndpoint, uniqueSuffix } from '../helpers/env';
import {
  documentAllowing,
  policiesNamed,
  policyArn,
  SOURCE,
  upsertEvent,
  versionsOf,
} from '../helpers/events';
import { iamErrorResponse, startIamProxy, type IamProxy } from '../helpers/iam-proxy';
import { startService, type RunningService, type StartServiceOptions } from '../helpers/service';
import { startTemporal } from '../helpers/servers';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let proxy: IamProxy;
const services: RunningService[] = [];

beforeAll(async () => {
  proxy = await startIamProxy(testIamEndpoint(), { strict: true });
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  await proxy?.close();
});

afterEach(() => proxy.clearRules());

async function serviceWith(options: StartServiceOptions = {}): Promise<RunningService> {
  const service = await startService({ iamEndpoint: proxy.endpoint, ...options });
  services.push(service);
  return service;
}

async function historyOf(service: RunningService, workflowId: string, runId?: string) {
  const history = await service.client.workflow.getHandle(workflowId, runId).fetchHistory();
  return history.events ?? [];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const count = (events: HistoryEvent[], attribute: keyof HistoryEvent) =>
  events.filter((event) => event[attribute]).length;

/** The activity type each local-activity marker records (in its details, as JSON). */
function localActivityTypes(events: HistoryEvent[]): string[] {
  return events
    .filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((event) => {
      const payload = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0];
      const details = JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8')) as {
        activity_type?: string;
      };
      return details.activity_type ?? '';
    });
}

/** Holds the first GetPolicy of `name` for `ms` before moto answers it. */
function slowFirstGetPolicy(name: string, ms: number): void {
  proxy.addRule({
    action: 'GetPolicy',
    when: (params) => (params.PolicyArn ?? '').endsWith(`/${name}`),
    times: 1,
    respond: async (_, forward) => {
      await sleep(ms);
      return forward();
    },
  });
}

test('the event workflow ends in its first workflow task: the result is the update answer, no signal back', async () => {
  const service = await serviceWith();
  const name = `by-update-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  const report = await submitEvent(event, { ...service.submitOptions(), wait: true });
  expect(report.outcome).toBe('created');

  const eventHistory = await historyOf(service, eventWorkflowId(SOURCE, String(event.id)));
  expect(count(eventHistory, 'workflowTaskCompletedEventAttributes')).toBe(1);
  expect(count(eventHistory, 'workflowExecutionSignaledEventAttributes')).toBe(0);
  expect(count(eventHistory, 'timerStartedEventAttributes')).toBe(0);
  expect(localActivityTypes(eventHistory)).toEqual(['deliverEventAndWait']);

  const policyHistory = await historyOf(service, policyWorkflowId(name));
  expect(count(policyHistory, 'workflowExecutionSignaledEventAttributes')).toBe(0);
  expect(count(policyHistory, 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(1);
  expect(count(policyHistory, 'workflowExecutionUpdateCompletedEventAttributes')).toBe(1);
  // Nothing is sent back by activity either: the update's completion carries the result.
  expect(localActivityTypes(policyHistory)).toEqual(['inspectPolicy', 'applyPlan']);
});

test('IAM failing for longer than the wait: the event goes again by signal and its result comes by signal', async () => {
  const service = await serviceWith({ delivery: { resultWaitMs: 1_000 } });
  const name = `slow-${uniqueSuffix()}`;
  // GetPolicy fails for 6 s: the local attempts give up, the call becomes an ordinary activity, and the
  // signal from the event workflow arrives while it retries.
  proxy.addRule({
    action: 'GetPolicy',
    when: (params) => (params.PolicyArn ?? '').endsWith(`/${name}`),
    respond: () => iamErrorResponse('ServiceUnavailable', 'Service is unavailable.', 503),
  });
  const event = upsertEvent(name, { sequence: 1 });
  const reported = submitEvent(event, { ...service.submitOptions(), wait: true });
  await sleep(6_000);
  proxy.clearRules();
  const report = await reported;
  expect(report.outcome).toBe('created');
  expect(await policiesNamed(service.iam, name)).toHaveLength(1);

  const eventHistory = await historyOf(service, eventWorkflowId(SOURCE, String(event.id)));
  expect(localActivityTypes(eventHistory)).toEqual(['deliverEventAndWait', 'deliverEvent']);
  expect(count(eventHistory, 'workflowExecutionSignaledEventAttributes')).toBe(1);
  // The update whose sender gave up was answered too when the event finished: none is left waiting.
  let policyHistory = await historyOf(service, policyWorkflowId(name));
  for (let attempt = 0; attempt < 30; attempt += 1) {
    if (count(policyHistory, 'workflowExecutionUpdateCompletedEventAttributes') > 0) break;
    await sleep(100);
    policyHistory = await historyOf(service, policyWorkflowId(name));
  }
  expect(count(policyHistory, 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(1);
  expect(count(policyHistory, 'workflowExecutionUpdateCompletedEventAttributes')).toBe(1);
}, 60_000);

test.each([
  ['the worker is at its limit of waiting deliveries', { maxWaitingDeliveries: 0 }],
  ['EVENT_RESULT_WAIT_MS=0', { resultWaitMs: 0 }],
])('with no waiting allowed (%s) events go by signal', async (_, delivery) => {
  const service = await serviceWith({ delivery });
  const name = `no-wait-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  const report = await submitEvent(event, { ...service.submitOptions(), wait: true });
  expect(report.outcome).toBe('created');

  const eventHistory = await historyOf(service, eventWorkflowId(SOURCE, String(event.id)));
  expect(localActivityTypes(eventHistory)).toEqual(['deliverEventAndWait', 'deliverEvent']);
  expect(count(eventHistory, 'workflowExecutionSignaledEventAttributes')).toBe(1);
  const policyHistory = await historyOf(service, policyWorkflowId(name));
  expect(count(policyHistory, 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(0);
});

test('updates waiting when the policy workflow continues as new: their events are carried over and answered by signal', async () => {
  const service = await serviceWith({ policyHistoryLimit: 10 });
  const name = `handover-${uniqueSuffix()}`;
  const arn = policyArn(name);
  // The first event holds the policy workflow for 2 s; the next four arrive meanwhile and wait.
  slowFirstGetPolicy(name, 2_000);
  const first = upsertEvent(name, { sequence: 1 });
  const firstReport = submitEvent(first, { ...service.submitOptions(), wait: true });
  await sleep(500);
  const later = [2, 3, 4, 5].map((sequence) =>
    upsertEvent(name, { sequence, document: documentAllowing([`s3:GetObjectVersion${sequence}`]) }),
  );
  const laterReports = await Promise.all(
    later.map((event) => submitEvent(event, { ...service.submitOptions(), wait: true })),
  );

  expect((await firstReport).outcome).toBe('created');
  expect(laterReports.map((report) => report.outcome)).toEqual([
    'superseded',
    'superseded',
    'superseded',
    'updated',
  ]);
  expect(await versionsOf(service.iam, arn)).toHaveLength(2);

  // The first run handed over: its waiting updates were answered "deliver again" and the events were
  // delivered by signal to the next run.
  const newest = await historyOf(service, eventWorkflowId(SOURCE, String(later[3].id)));
  expect(localActivityTypes(newest)).toEqual(['deliverEventAndWait', 'deliverEvent']);
  const { raw } = await service.client.workflow.getHandle(policyWorkflowId(name)).describe();
  expect(raw.workflowExecutionInfo?.firstRunId).not.toBe(raw.workflowExecutionInfo?.execution?.runId);
}, 60_000);

test('a burst to one policy: only a few deliveries wait per policy, the rest go by signal at once', async () => {
  // The server takes at most 10 updates in flight per workflow; the worker keeps under it per policy.
  const service = await serviceWith({ delivery: { maxWaitingPerPolicy: 2 } });
  const name = `burst-${uniqueSuffix()}`;
  slowFirstGetPolicy(name, 2_000);
  const first = upsertEvent(name, { sequence: 1 });
  const firstReport = submitEvent(first, { ...service.submitOptions(), wait: true });
  await sleep(300);
  const burst = [2, 3, 4, 5, 6, 7, 8, 9].map((sequence) =>
    upsertEvent(name, { sequence, document: documentAllowing([`s3:GetObjectVersion${sequence}`]) }),
  );
  const reports = await Promise.all(
    burst.map((event) => submitEvent(event, { ...service.submitOptions(), wait: true })),
  );
  expect((await firstReport).outcome).toBe('created');
  expect(reports.map((report) => report.outcome)).toEqual([
    ...Array<string>(7).fill('superseded'),
    'updated',
  ]);

  const paths = await Promise.all(
    [first, ...burst].map(async (event) =>
      localActivityTypes(await historyOf(service, eventWorkflowId(SOURCE, String(event.id)))).join(','),
    ),
  );
  const byUpdateOnly = paths.filter((path) => path === 'deliverEventAndWait');
  const bySignal = paths.filter((path) => path === 'deliverEventAndWait,deliverEvent');
  expect(byUpdateOnly.length + bySignal.length).toBe(9);
  // The first event and at most one of the burst waited; at least seven went by signal without waiting.
  expect(byUpdateOnly.length).toBeLessThanOrEqual(2);
  expect(bySignal.length).toBeGreaterThanOrEqual(7);
}, 60_000);

test('a server that refuses update-with-start: every event goes by signal and still gets its result', async () => {
  const temporal = await startTemporal({
    extraArgs: ['--dynamic-config-value', 'frontend.enableExecuteMultiOperation=false'],
  });
  try {
    const service = await serviceWith({ temporalAddress: temporal.address });
    const name = `no-update-${uniqueSuffix()}`;
    const events = [1, 2].map((sequence) =>
      upsertEvent(name, { sequence, document: documentAllowing([`s3:GetObjectVersion${sequence}`]) }),
    );
    const reports = [];
    for (const event of events)
      reports.push(await submitEvent(event, { ...service.submitOptions(), wait: true }));
    expect(reports.map((report) => report.outcome)).toEqual(['created', 'updated']);
    for (const event of events) {
      const history = await historyOf(service, eventWorkflowId(SOURCE, String(event.id)));
      expect(localActivityTypes(history)).toEqual(['deliverEventAndWait', 'deliverEvent']);
    }
    expect(
      count(
        await historyOf(service, policyWorkflowId(name)),
        'workflowExecutionUpdateAcceptedEventAttributes',
      ),
    ).toBe(0);
    await service.stop();
    services.splice(services.indexOf(service), 1);
  } finally {
    await temporal.stop();
  }
}, 90_000);
