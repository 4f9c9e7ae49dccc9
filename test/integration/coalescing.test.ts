// Bursts: when two or more events for a policy wait, its workflow gathers the rest of the burst (until
// none has come for a quiet period, within a bound) and applies only the newest; older ones are answered
// `superseded` as soon as a newer one waits. A lone event is applied at once. The window's settings come
// with every delivery, so a running policy workflow follows the workers' current configuration.
import { defaultPayloadConverter } from '@temporalio/common';
import { policyWorkflowId } from '../../src/domain/ids';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import { submitEvent } from '../../src/starter/submit';
import type { PolicyWorkflowInput } from '../../src/messages/workflow-io';
import { uniqueSuffix } from '../../harness/env';
import { defaultDocument, documentAllowing, policyArn, SOURCE, upsertEvent } from '../../harness/events';
import { countEvents, historyOf } from '../../harness/history';
import { forPolicyNamed } from '../../harness/iam-proxy';
import { proxiedServices } from '../helpers/proxied-services';
import { until } from '../helpers/until';
import type { RunningService, StartServiceOptions } from '../../harness/service';

const services = proxiedServices();
const serviceWith = (options: StartServiceOptions = {}) => services.serviceWith(options);
const stopService = (service: RunningService) => services.stop(service);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Holds the next `action` on policy `name` at the proxy until released. */
function holdNext(action: string, name: string): { reached: Promise<void>; release: () => void } {
  let reachedProxy!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reachedProxy = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  services.proxy.addRule({
    action,
    when: forPolicyNamed(name),
    times: 1,
    respond: async (_, forward) => {
      reachedProxy();
      await released;
      return forward();
    },
  });
  return { reached, release };
}

/** Writes of new versions to the policy `name` seen at the proxy. */
function versionWrites(name: string): number {
  return services.proxy.requests.filter(
    (request) =>
      request.action === 'CreatePolicyVersion' && (request.params.PolicyArn ?? '').endsWith(`/${name}`),
  ).length;
}

/** Until the event workflows of `events` exist: their deliveries are on the way. */
async function untilStarted(service: RunningService, events: Record<string, unknown>[]): Promise<void> {
  for (const event of events) {
    const handle = service.client.workflow.getHandle(eventWorkflowId(SOURCE, String(event.id)));
    await until(
      () =>
        handle.describe().then(
          () => true,
          () => false,
        ),
      `event workflow ${String(event.id)} started`,
      5_000,
      50,
    );
  }
}

const upsert = (name: string, sequence: number) =>
  upsertEvent(name, { sequence, document: documentAllowing([`s3:GetObjectVersion${sequence}`]) });

/**
 * The burst: 2 is being applied (its write held at the proxy) while 3 and 4 arrive; once 2 is done the
 * workflow gathers, settles 3 at once, and 5 (sent after that) still joins: 4 superseded, 5 applied.
 * Without the window 4 would be applied at once and 5 after it: three writes instead of two.
 */
async function lateBurst(service: RunningService, name: string) {
  const submit = (event: Record<string, unknown>) => submitEvent(event, service.submitOptions());
  const writesBefore = versionWrites(name);
  const hold = holdNext('CreatePolicyVersion', name);
  const second = submit(upsert(name, 2));
  await hold.reached;
  const [three, four] = [upsert(name, 3), upsert(name, 4)];
  const third = submit(three);
  const fourth = submit(four);
  // Both are on their way to the policy workflow; give their updates time to reach the server.
  await untilStarted(service, [three, four]);
  await sleep(1_000);
  hold.release();
  expect((await second).outcome).toBe('updated');
  // 3 is answered while 4 waits for the rest of the burst.
  const thirdReport = await third;
  expect(thirdReport.outcome).toBe('superseded');
  expect(thirdReport.reason).toMatch(/newer event is waiting/);
  const fifth = await submit(upsert(name, 5));
  expect(fifth.outcome).toBe('updated');
  expect((await fourth).outcome).toBe('superseded');
  expect(versionWrites(name) - writesBefore).toBe(2);
  expect(await defaultDocument(service.iam, policyArn(name))).toEqual(
    documentAllowing(['s3:GetObjectVersion5']),
  );
}

test.each([
  ['by update (their answers)', {}],
  ['by signal (their results sent by activity)', { maxWaitingDeliveries: 0 }],
])(
  'a burst still arriving after the previous write, events %s: its newest upsert joins the window, two writes in all',
  async (_, delivery) => {
    const service = await serviceWith({ coalesce: { quietMs: 1_500, maxMs: 8_000 }, delivery });
    const name = `window-${uniqueSuffix()}`;
    expect((await submitEvent(upsert(name, 1), service.submitOptions())).outcome).toBe('created');
    await lateBurst(service, name);
    // The window is a timer in the policy workflow's history.
    const history = await historyOf(service.client, policyWorkflowId(name));
    expect(countEvents(history, 'timerStartedEventAttributes')).toBeGreaterThan(0);
  },
  60_000,
);

test('a lone event is applied at once: no window, no timer', async () => {
  const service = await serviceWith({ coalesce: { quietMs: 5_000, maxMs: 10_000 } });
  const name = `lone-${uniqueSuffix()}`;
  for (const sequence of [1, 2, 3]) {
    const report = await submitEvent(upsert(name, sequence), service.submitOptions());
    expect(report.outcome).toBe(sequence === 1 ? 'created' : 'updated');
  }
  // A window is a timer in the policy workflow's history (how long it took is the benchmark's matter:
  // on a busy machine a workflow task alone can take seconds).
  const history = await historyOf(service.client, policyWorkflowId(name));
  expect(countEvents(history, 'timerStartedEventAttributes')).toBe(0);
}, 60_000);

test('a running policy workflow takes up the settings of the workers delivering to it now', async () => {
  const taskQueue = `settings-${uniqueSuffix()}`;
  const name = `settings-${uniqueSuffix()}`;
  // First workers: no window, a long history limit. The policy workflow starts with these.
  const before = await serviceWith({
    taskQueue,
    coalesce: { quietMs: 0, maxMs: 0 },
    policyHistoryLimit: 10_000,
  });
  expect((await submitEvent(upsert(name, 1), before.submitOptions())).outcome).toBe('created');
  const { runId: firstRunId } = await before.client.workflow.getHandle(policyWorkflowId(name)).describe();
  await stopService(before);

  // Workers with a window and a short limit replace them: the same run gathers bursts now...
  const after = await serviceWith({
    taskQueue,
    coalesce: { quietMs: 1_500, maxMs: 8_000 },
    policyHistoryLimit: 40,
  });
  await lateBurst(after, name);
  const handle = after.client.workflow.getHandle(policyWorkflowId(name));
  // ...and continues as new at the new limit, carrying the new settings into the next run.
  for (let sequence = 6; (await handle.describe()).runId === firstRunId; sequence += 1) {
    expect(sequence).toBeLessThan(30);
    await submitEvent(upsert(name, sequence), after.submitOptions());
  }
  const history = await historyOf(after.client, policyWorkflowId(name));
  const started = history[0]?.workflowExecutionStartedEventAttributes;
  const input = defaultPayloadConverter.fromPayload<PolicyWorkflowInput>(started?.input?.payloads?.[0] ?? {});
  expect(input).toMatchObject({ maxHistoryLength: 40, coalesce: { quietMs: 1_500, maxMs: 8_000 } });
}, 90_000);

test('a policy workflow at its history limit ends the window and hands the burst over to its next run', async () => {
  // A window that would last long (3 s quiet, 60 s bound) and a short history limit: arrivals keep the
  // window open until the history reaches the limit, then the run cancels its timer and continues as new.
  const service = await serviceWith({ coalesce: { quietMs: 3_000, maxMs: 60_000 }, policyHistoryLimit: 40 });
  const name = `window-handover-${uniqueSuffix()}`;
  const submit = (event: Record<string, unknown>) => submitEvent(event, service.submitOptions());
  expect((await submit(upsert(name, 1))).outcome).toBe('created');
  const { runId: firstRunId } = await service.client.workflow.getHandle(policyWorkflowId(name)).describe();

  const hold = holdNext('CreatePolicyVersion', name);
  const reports = [submit(upsert(name, 2))];
  await hold.reached;
  reports.push(submit(upsert(name, 3)), submit(upsert(name, 4)));
  await sleep(1_000);
  hold.release();
  for (let sequence = 5; sequence <= 12; sequence += 1) {
    await sleep(300);
    reports.push(submit(upsert(name, sequence)));
  }
  const outcomes = (await Promise.all(reports)).map((report) => report.outcome);
  expect(outcomes[0]).toBe('updated');
  expect(outcomes.at(-1)).toBe('updated');
  expect(outcomes.slice(1, -1).every((outcome) => outcome === 'superseded' || outcome === 'updated')).toBe(
    true,
  );
  expect(await defaultDocument(service.iam, policyArn(name))).toEqual(
    documentAllowing(['s3:GetObjectVersion12']),
  );

  const firstRun = await historyOf(service.client, policyWorkflowId(name), firstRunId);
  expect(countEvents(firstRun, 'timerStartedEventAttributes')).toBeGreaterThan(0);
  expect(countEvents(firstRun, 'timerCanceledEventAttributes')).toBe(1);
  expect(firstRun.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
}, 90_000);
