// Accounts with a task queue of their own (TEMPORAL_ACCOUNT_TASK_QUEUES), on the real dev server and moto
// behind the strict proxy: their event and policy workflows are dispatched apart from every other
// account's, a worker may poll some queues only (WORKER_ACCOUNTS), a running policy workflow moves to its
// account's queue (and back) with its next event, and the drift check knows the policies of every queue.
import { DeletePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import { policyWorkflowId } from '../../src/domain/ids';
import { runDriftCheck } from '../../src/starter/drift-check';
import { submitEvent } from '../../src/starter/submit';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import { uniqueSuffix } from '../../harness/env';
import { defaultDocument, documentAllowing, policiesNamed, upsertEvent } from '../../harness/events';
import { historyOf } from '../../harness/history';
import type { RunningService } from '../../harness/service';
import { iamIn, inAccount } from '../helpers/accounts';
import { proxiedServices } from '../helpers/proxied-services';

const services = proxiedServices();
const B = '222222222222';

let iamB: IAMClient;
beforeAll(async () => {
  iamB = await iamIn(B);
});
afterAll(() => iamB.destroy());

test("B's work runs on B's queue: a worker without it serves the default account while B's event waits for B's worker", async () => {
  const taskQueue = `test-${uniqueSuffix()}`;
  const common = { taskQueue, accounts: { allowed: [B] }, accountTaskQueues: [B] };
  const baseOnly = await services.serviceWith({ ...common, workerAccounts: ['default'] });
  const nameB = `own-queue-b-${uniqueSuffix()}`;
  const nameA = `own-queue-a-${uniqueSuffix()}`;

  const eventB = inAccount(upsertEvent(nameB), B) as Record<string, unknown>;
  const accepted = await submitEvent(eventB, { ...baseOnly.submitOptions(), wait: false });
  expect(accepted.outcome).toBe('accepted');
  const handleB = baseOnly.client.workflow.getHandle(
    eventWorkflowId(String(eventB.source), String(eventB.id)),
  );
  expect((await handleB.describe()).taskQueue).toBe(`${taskQueue}@${B}`);

  // Nothing polls B's queue yet: the default account's event is served all the same.
  const reportA = await submitEvent(upsertEvent(nameA), baseOnly.submitOptions());
  expect(reportA.outcome).toBe('created');
  expect((await baseOnly.client.workflow.getHandle(policyWorkflowId(nameA)).describe()).taskQueue).toBe(
    taskQueue,
  );
  // B's event has not been picked up: its first workflow task is still scheduled, not started.
  const waiting = await historyOf(baseOnly.client, handleB.workflowId);
  expect(waiting.some((e) => e.workflowTaskScheduledEventAttributes)).toBe(true);
  expect(waiting.some((e) => e.workflowTaskStartedEventAttributes)).toBe(false);
  expect(await policiesNamed(iamB, nameB)).toEqual([]);

  // A worker for B's queue only: B's event is applied, in B, by a policy workflow on B's queue.
  await services.serviceWith({ ...common, workerAccounts: [B] });
  expect(await handleB.result()).toMatchObject({ outcome: 'created', account: B });
  expect((await policiesNamed(iamB, nameB)).map((p) => p.Arn)).toEqual([`arn:aws:iam::${B}:policy/${nameB}`]);
  expect((await baseOnly.client.workflow.getHandle(policyWorkflowId(nameB, B)).describe()).taskQueue).toBe(
    `${taskQueue}@${B}`,
  );
}, 60_000);

test("a running policy workflow moves to its account's queue with its next event, and back when the account leaves the list", async () => {
  const taskQueue = `test-${uniqueSuffix()}`;
  const name = `moves-${uniqueSuffix()}`;
  const update = (action: string) =>
    inAccount(upsertEvent(name, { document: documentAllowing([`s3:${action}`]) }), B);
  const before = await services.serviceWith({ taskQueue, accounts: { allowed: [B] } });
  expect((await submitEvent(inAccount(upsertEvent(name), B), before.submitOptions())).outcome).toBe(
    'created',
  );
  const firstRun = await before.client.workflow.getHandle(policyWorkflowId(name, B)).describe();
  expect(firstRun.taskQueue).toBe(taskQueue);
  await services.stop(before);

  // B gets a queue of its own: the next delivery tells the running policy workflow, which applies the
  // event in a new run on B's queue.
  const listed = await services.serviceWith({
    taskQueue,
    accounts: { allowed: [B] },
    accountTaskQueues: [B],
  });
  const policyOf = (service: RunningService) => service.client.workflow.getHandle(policyWorkflowId(name, B));
  expect((await submitEvent(update('DeleteObject'), listed.submitOptions())).outcome).toBe('updated');
  const moved = await policyOf(listed).describe();
  expect(moved.runId).not.toBe(firstRun.runId);
  expect(moved.taskQueue).toBe(`${taskQueue}@${B}`);
  await services.stop(listed);

  // B leaves the list: a worker still polling B's queue (WORKER_ACCOUNTS) lets the workflow there take
  // the next event, and move back to the base queue with it.
  const draining = await services.serviceWith({
    taskQueue,
    accounts: { allowed: [B] },
    workerAccounts: ['default', B],
  });
  expect((await submitEvent(update('PutObject'), draining.submitOptions())).outcome).toBe('updated');
  const back = await policyOf(draining).describe();
  expect(back.runId).not.toBe(moved.runId);
  expect(back.taskQueue).toBe(taskQueue);
  await services.stop(draining);
  // Served from the base queue alone now.
  const baseOnly = await services.serviceWith({ taskQueue, accounts: { allowed: [B] } });
  expect((await submitEvent(update('ListBucket'), baseOnly.submitOptions())).outcome).toBe('updated');
  expect((await policyOf(baseOnly).describe()).runId).toBe(back.runId);
}, 90_000);

test("the drift check finds a policy deleted by hand whose workflow runs on its account's queue, and repairs it", async () => {
  const taskQueue = `test-${uniqueSuffix()}`;
  const path = `/own-queue-drift-${uniqueSuffix()}/`;
  const name = `drifts-${uniqueSuffix()}`;
  const service = await services.serviceWith({
    taskQueue,
    accounts: { allowed: [B] },
    accountTaskQueues: [B],
    guards: { ...DEFAULT_POLICY_GUARDS, consistencyWaitMs: 500 },
  });
  const wanted = documentAllowing(['s3:PutObject']);
  const created = await submitEvent(
    inAccount(upsertEvent(name, { path, document: wanted }), B),
    service.submitOptions(),
  );
  expect(created.outcome).toBe('created');
  const arn = `arn:aws:iam::${B}:policy${path}${name}`;
  await iamB.send(new DeletePolicyCommand({ PolicyArn: arn }));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const repaired = await runDriftCheck(service.client, {
    taskQueue,
    pathPrefix: path,
    repair: true,
    confirmAfterMs: 200,
  });
  // Gone from IAM, the policy is known only from its running workflow, on B's queue: were that queue
  // not among those listed, the check would not know the policy at all.
  expect(repaired.report).toMatchObject({
    outcome: 'repaired',
    findings: [{ policyName: name, account: B, kinds: ['deleted'], repair: { outcome: 'created' } }],
  });
  expect(await defaultDocument(iamB, arn)).toEqual(wanted);
}, 60_000);
