// An event workflow hands its event to the policy workflow as an update and gets the result as the answer,
// so it usually ends in its first workflow task. When no answer comes in time (a slow policy, too many
// waiting, the policy workflow handing over to a new run) the event goes by signal and still gets its result.
import { policyWorkflowId } from '../../src/domain/ids';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import { submitEvent } from '../../src/starter/submit';
import { Client, Connection } from '@temporalio/client';
import { testTemporalAddress, uniqueSuffix } from '../../harness/env';
import {
  documentAllowing,
  policiesNamed,
  policyArn,
  SOURCE,
  upsertEvent,
  versionsOf,
} from '../../harness/events';
import { countEvents, historyOf, historyWhen, localActivityTypes } from '../../harness/history';
import { forPolicyNamed, unavailableForPolicy } from '../../harness/iam-proxy';
import { proxiedServices } from '../helpers/proxied-services';
import { MANAGED_BY, type StartServiceOptions } from '../../harness/service';
import { startTemporal } from '../../harness/servers';
import { startWorkerProcess } from '../../harness/worker-process';

const services = proxiedServices();
const serviceWith = (options: StartServiceOptions = {}) => services.serviceWith(options);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Holds the first GetPolicy of `name` for `ms` before moto answers it; resolves when it arrives. */
function slowFirstGetPolicy(name: string, ms: number): Promise<void> {
  return new Promise((reached) => {
    services.proxy.addRule({
      action: 'GetPolicy',
      when: forPolicyNamed(name),
      times: 1,
      respond: async (_, forward) => {
        reached();
        await sleep(ms);
        return forward();
      },
    });
  });
}

test('the event workflow ends in its first workflow task: the result is the update answer, no signal back', async () => {
  const service = await serviceWith();
  const name = `by-update-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  const report = await submitEvent(event, { ...service.submitOptions(), wait: true });
  expect(report.outcome).toBe('created');

  const eventHistory = await historyOf(service.client, eventWorkflowId(SOURCE, String(event.id)));
  expect(countEvents(eventHistory, 'workflowTaskCompletedEventAttributes')).toBe(1);
  expect(countEvents(eventHistory, 'workflowExecutionSignaledEventAttributes')).toBe(0);
  expect(countEvents(eventHistory, 'timerStartedEventAttributes')).toBe(0);
  expect(localActivityTypes(eventHistory)).toEqual(['deliverEventAndWait']);

  const policyHistory = await historyOf(service.client, policyWorkflowId(name));
  expect(countEvents(policyHistory, 'workflowExecutionSignaledEventAttributes')).toBe(0);
  expect(countEvents(policyHistory, 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(1);
  expect(countEvents(policyHistory, 'workflowExecutionUpdateCompletedEventAttributes')).toBe(1);
  // Nothing is sent back by activity either: the update's completion carries the result (the write is
  // an activity task of its own).
  expect(localActivityTypes(policyHistory)).toEqual(['inspectPolicy']);
});

test('IAM failing for longer than the wait: the event goes again by signal and its result comes by signal', async () => {
  const service = await serviceWith({ delivery: { resultWaitMs: 1_000 } });
  const name = `slow-${uniqueSuffix()}`;
  // GetPolicy fails for 6 s: the local attempts give up, the call becomes an ordinary activity, and the
  // signal from the event workflow arrives while it retries.
  services.proxy.addRule(unavailableForPolicy('GetPolicy', name));
  const event = upsertEvent(name, { sequence: 1 });
  const reported = submitEvent(event, { ...service.submitOptions(), wait: true });
  await sleep(6_000);
  services.proxy.clearRules();
  const report = await reported;
  expect(report.outcome).toBe('created');
  expect(await policiesNamed(service.iam, name)).toHaveLength(1);

  const eventHistory = await historyOf(service.client, eventWorkflowId(SOURCE, String(event.id)));
  expect(localActivityTypes(eventHistory)).toEqual(['deliverEventAndWait', 'deliverEvent']);
  expect(countEvents(eventHistory, 'workflowExecutionSignaledEventAttributes')).toBe(1);
  // The update whose sender gave up was answered too when the event finished: none is left waiting.
  const policyHistory = await historyWhen(
    service.client,
    policyWorkflowId(name),
    (events) => countEvents(events, 'workflowExecutionUpdateCompletedEventAttributes') > 0,
  );
  expect(countEvents(policyHistory, 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(1);
  expect(countEvents(policyHistory, 'workflowExecutionUpdateCompletedEventAttributes')).toBe(1);
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

  const eventHistory = await historyOf(service.client, eventWorkflowId(SOURCE, String(event.id)));
  expect(localActivityTypes(eventHistory)).toEqual(['deliverEventAndWait', 'deliverEvent']);
  expect(countEvents(eventHistory, 'workflowExecutionSignaledEventAttributes')).toBe(1);
  const policyHistory = await historyOf(service.client, policyWorkflowId(name));
  expect(countEvents(policyHistory, 'workflowExecutionUpdateAcceptedEventAttributes')).toBe(0);
});

test('updates waiting when the policy workflow continues as new: their events are carried over and answered by signal', async () => {
  const service = await serviceWith({ policyHistoryLimit: 10 });
  const name = `handover-${uniqueSuffix()}`;
  const arn = policyArn(name);
  // The first event holds the policy workflow for 2 s; the next four arrive meanwhile and wait.
  const held = slowFirstGetPolicy(name, 2_000);
  const first = upsertEvent(name, { sequence: 1 });
  const firstReport = submitEvent(first, { ...service.submitOptions(), wait: true });
  await held;
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
  const newest = await historyOf(service.client, eventWorkflowId(SOURCE, String(later[3].id)));
  expect(localActivityTypes(newest)).toEqual(['deliverEventAndWait', 'deliverEvent']);
  const { raw } = await service.client.workflow.getHandle(policyWorkflowId(name)).describe();
  expect(raw.workflowExecutionInfo?.firstRunId).not.toBe(raw.workflowExecutionInfo?.execution?.runId);
}, 60_000);

test('a burst to one policy: only a few deliveries wait per policy, the rest go by signal at once', async () => {
  // The server takes at most 10 updates in flight per workflow; the worker keeps under it per policy.
  const service = await serviceWith({ delivery: { maxWaitingPerPolicy: 2 } });
  const name = `burst-${uniqueSuffix()}`;
  const held = slowFirstGetPolicy(name, 2_000);
  const first = upsertEvent(name, { sequence: 1 });
  const firstReport = submitEvent(first, { ...service.submitOptions(), wait: true });
  // The burst once the first event is being applied (a fixed pause lost that race on a busy machine).
  await held;
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
      localActivityTypes(await historyOf(service.client, eventWorkflowId(SOURCE, String(event.id)))).join(
        ',',
      ),
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
      const history = await historyOf(service.client, eventWorkflowId(SOURCE, String(event.id)));
      expect(localActivityTypes(history)).toEqual(['deliverEventAndWait', 'deliverEvent']);
    }
    expect(
      countEvents(
        await historyOf(service.client, policyWorkflowId(name)),
        'workflowExecutionUpdateAcceptedEventAttributes',
      ),
    ).toBe(0);
    await services.stop(service);
  } finally {
    await temporal.stop();
  }
}, 90_000);

test('the worker process with EVENT_RESULT_WAIT_MS=0 sends every event by signal', async () => {
  const taskQueue = `no-wait-env-${uniqueSuffix()}`;
  const connection = await Connection.connect({ address: testTemporalAddress() });
  const client = new Client({ connection });
  const worker = await startWorkerProcess({
    temporalAddress: testTemporalAddress(),
    taskQueue,
    iamEndpoint: services.proxy.endpoint,
    env: { EVENT_RESULT_WAIT_MS: '0' },
  });
  try {
    const event = upsertEvent(`no-wait-env-${uniqueSuffix()}`, { sequence: 1 });
    const report = await submitEvent(event, {
      client,
      taskQueue,
      wait: true,
      reservedTagKeys: [MANAGED_BY.key],
    });
    expect(report.outcome).toBe('created');
    const history = await historyOf(client, eventWorkflowId(SOURCE, String(event.id)));
    expect(localActivityTypes(history)).toEqual(['deliverEventAndWait', 'deliverEvent']);
    expect(countEvents(history, 'workflowExecutionSignaledEventAttributes')).toBe(1);
  } finally {
    await worker.stop();
    await connection.close();
  }
}, 120_000);
