// Deferred deletion: a delete with data.waitUntilUnused of a policy in use ends `delete-pending` at once,
// and the policy workflow checks again on a durable timer (seconds here, through DELETE_WAIT_* settings)
// until nothing uses the policy, then deletes it with no further event; a newer upsert cancels the wait,
// a newer delete replaces it, the maximum wait ends it, and it survives continue-as-new and a new worker.
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DetachRolePolicyCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import pino from 'pino';
import type { DeleteWaitSettings, DeferredDeletion } from '../../src/domain/deferred-deletion';
import { policyWorkflowId } from '../../src/domain/ids';
import { deferredDeletionQuery, policyStateQuery } from '../../src/messages/workflow-messages';
import { OUTCOME } from '../../src/messages/search-attributes';
import { DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import { policyReport } from '../../src/starter/policy-report';
import { createDeletionSinks } from '../../src/observability/deletion-sinks';
import { createServiceMetrics, type ServiceMetrics } from '../../src/observability/service-metrics';
import { submitEvent, type SubmitReport } from '../../src/starter/submit';
import { uniqueSuffix } from '../../harness/env';
import { deleteEvent, documentAllowing, policiesNamed, policyArn, upsertEvent } from '../../harness/events';
import {
  ACCOUNT_ID,
  MANAGED_BY,
  testIamClient,
  type RunningService,
  type StartServiceOptions,
} from '../../harness/service';
import { proxiedServices } from '../helpers/proxied-services';
import { until } from '../helpers/until';

const services = proxiedServices();
/** IAM as an administrator sees it (moto directly): attachments made outside the service. */
const admin: IAMClient = testIamClient();

/** Checks 1 s after the delete, then every 2 s, for at most a minute. */
const FAST_WAIT: DeleteWaitSettings = {
  byDefault: false,
  maxWaitMs: 60_000,
  firstCheckMs: 1_000,
  maxCheckIntervalMs: 2_000,
};

interface Observed {
  service: RunningService;
  metrics: ServiceMetrics;
  logLines: Record<string, unknown>[];
}

async function serviceWith(options: StartServiceOptions = {}): Promise<Observed> {
  const metrics = createServiceMetrics();
  const logLines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const service = await services.serviceWith({
    deleteWait: FAST_WAIT,
    sinks: createDeletionSinks(logger, metrics),
    ...options,
  });
  return { service, metrics, logLines };
}

const submit = (service: RunningService, event: unknown): Promise<SubmitReport> =>
  submitEvent(event, service.submitOptions());

function waitingDelete(name: string, sequence: number, maxWaitSeconds?: number) {
  const event = deleteEvent(name, { sequence });
  return {
    ...event,
    data: {
      ...(event.data as object),
      waitUntilUnused: true,
      ...(maxWaitSeconds !== undefined ? { maxWaitSeconds } : {}),
    },
  };
}

const ASSUME_ROLE = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** A managed policy `name` (created by the service) attached to a new role; returns the role's name. */
async function createAttached(service: RunningService, name: string): Promise<string> {
  expect((await submit(service, upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');
  const role = `role-${uniqueSuffix()}`;
  await admin.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: ASSUME_ROLE }));
  await admin.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn(name) }));
  return role;
}

const detach = (role: string, name: string) =>
  admin.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn(name) }));

function deferredDeletion(service: RunningService, name: string): Promise<DeferredDeletion | undefined> {
  return service.client.workflow.getHandle(policyWorkflowId(name)).query(deferredDeletionQuery);
}

async function outcomeAttribute(service: RunningService, name: string): Promise<string | undefined> {
  const description = await service.client.workflow.getHandle(policyWorkflowId(name)).describe();
  return description.typedSearchAttributes.get(OUTCOME);
}

async function untilStatus(
  service: RunningService,
  name: string,
  status: DeferredDeletion['status'],
  timeoutMs = 30_000,
): Promise<DeferredDeletion> {
  let last: DeferredDeletion | undefined;
  await until(
    async () => (last = await deferredDeletion(service, name))?.status === status,
    `deferred deletion of ${name} ${status}`,
    timeoutMs,
  );
  return last!;
}

async function counted(metrics: ServiceMetrics, status: string): Promise<number> {
  const metric = await metrics.deferredDeletions.get();
  return metric.values.find((value) => value.labels.status === status)?.value ?? 0;
}

/** What `starter policy NAME` prints of the policy workflow's deferred deletion. */
async function reportedDeletion(service: RunningService, name: string) {
  const deps = {
    iam: admin,
    accountId: () => Promise.resolve(ACCOUNT_ID),
    managedByTag: MANAGED_BY,
    guards: DEFAULT_POLICY_GUARDS,
  };
  const report = await policyReport(service.client, deps, name);
  return report.workflow.found ? report.workflow.deferredDeletion : undefined;
}

const exists = async (name: string) => (await policiesNamed(admin, name)).length > 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('on one worker', () => {
  let observed: Observed;
  beforeAll(async () => {
    observed = await serviceWith();
  });

  test('attached, a waiting delete is delete-pending; once detached the policy is deleted without another event', async () => {
    const { service, metrics, logLines } = observed;
    const name = `defer-basic-${uniqueSuffix()}`;
    const role = await createAttached(service, name);

    const pending = await submit(service, waitingDelete(name, 2));
    expect(pending.outcome).toBe('delete-pending');
    expect(pending.result?.entities).toContainEqual({
      kind: 'role',
      name: role,
      usage: 'permissions-policy',
    });
    expect(pending.result?.actions).toEqual([]);
    const waiting = await deferredDeletion(service, name);
    expect(waiting).toMatchObject({ status: 'pending', event: { id: pending.id } });
    expect(await outcomeAttribute(service, name)).toBe('delete-pending');
    const reported = await reportedDeletion(service, name);
    expect(reported).toMatchObject({ status: 'pending', id: pending.id, sequence: '2' });
    expect(Date.parse(reported!.nextCheckAt!)).toBeLessThanOrEqual(Date.parse(reported!.deadline));

    // Still attached: the checks find it in use and keep waiting.
    await until(
      async () => ((await deferredDeletion(service, name))?.checks ?? 0) >= 2,
      'two checks while attached',
    );
    expect(await exists(name)).toBe(true);

    await detach(role, name);
    const deleted = await untilStatus(service, name, 'deleted');
    expect(await exists(name)).toBe(false);
    expect(deleted.actions?.map((action) => action.action)).toContain('DeletePolicy');
    expect(await outcomeAttribute(service, name)).toBe('deleted');
    expect(await reportedDeletion(service, name)).toMatchObject({ status: 'deleted', id: pending.id });
    const state = await service.client.workflow.getHandle(policyWorkflowId(name)).query(policyStateQuery);
    expect(state.desired).toMatchObject({ outcome: 'deleted', event: { id: pending.id } });
    expect(await counted(metrics, 'deleted')).toBeGreaterThanOrEqual(1);
    expect(logLines).toContainEqual(
      expect.objectContaining({ event: 'deferred-deletion', policy: name, status: 'deleted' }),
    );
    // The policy is gone: a newer delete finds it absent.
    expect((await submit(service, deleteEvent(name, { sequence: 3 }))).outcome).toBe('absent');
  });

  test('an older upsert during the wait is superseded; a newer one keeps the policy and cancels the wait', async () => {
    const { service, metrics } = observed;
    const name = `defer-upsert-${uniqueSuffix()}`;
    const role = await createAttached(service, name);
    expect((await submit(service, waitingDelete(name, 3))).outcome).toBe('delete-pending');

    // Older than the delete: it changes nothing, and the delete still waits.
    const older = await submit(service, upsertEvent(name, { sequence: 2 }));
    expect(older.outcome).toBe('superseded');
    expect((await deferredDeletion(service, name))?.status).toBe('pending');

    const newer = await submit(
      service,
      upsertEvent(name, { sequence: 4, document: documentAllowing(['s3:PutObject']) }),
    );
    expect(newer.outcome).toBe('updated');
    const cancelled = await deferredDeletion(service, name);
    expect(cancelled).toMatchObject({ status: 'cancelled' });
    expect(cancelled?.reason).toContain(newer.id);
    expect(await outcomeAttribute(service, name)).toBeUndefined();
    expect(await counted(metrics, 'cancelled')).toBeGreaterThanOrEqual(1);

    // Detached now: no pending deletion is left to delete it.
    await detach(role, name);
    await sleep(2 * FAST_WAIT.maxCheckIntervalMs + 1_000);
    expect(await exists(name)).toBe(true);
    expect((await deferredDeletion(service, name))?.status).toBe('cancelled');
  });

  test('a newer delete replaces the waiting one', async () => {
    const { service } = observed;
    const name = `defer-replace-${uniqueSuffix()}`;
    const role = await createAttached(service, name);
    const first = await submit(service, waitingDelete(name, 2));
    expect(first.outcome).toBe('delete-pending');
    // Without waitUntilUnused (and the worker's default false): retained-in-use, and it decides.
    const second = await submit(service, deleteEvent(name, { sequence: 3 }));
    expect(second.outcome).toBe('retained-in-use');
    expect(await deferredDeletion(service, name)).toMatchObject({
      status: 'replaced',
      event: { id: first.id },
    });

    // A newer waiting delete waits on its own.
    const third = await submit(service, waitingDelete(name, 4));
    expect(third.outcome).toBe('delete-pending');
    expect(await deferredDeletion(service, name)).toMatchObject({
      status: 'pending',
      event: { id: third.id },
    });
    await detach(role, name);
    await untilStatus(service, name, 'deleted');
    expect(await exists(name)).toBe(false);
  });

  test('still in use when its maximum wait runs out: delete-expired, the policy stays', async () => {
    const { service, metrics, logLines } = observed;
    const name = `defer-expire-${uniqueSuffix()}`;
    await createAttached(service, name);
    expect((await submit(service, waitingDelete(name, 2, 3))).outcome).toBe('delete-pending');
    const expired = await untilStatus(service, name, 'expired');
    expect(expired.deadline - expired.since).toBe(3_000);
    expect(expired.reason).toMatch(/maximum wait ran out/);
    expect(await exists(name)).toBe(true);
    expect(await outcomeAttribute(service, name)).toBe('delete-expired');
    expect(await counted(metrics, 'expired')).toBeGreaterThanOrEqual(1);
    expect(logLines).toContainEqual(
      expect.objectContaining({ event: 'deferred-deletion', policy: name, status: 'expired', level: 40 }),
    );
  });
});

test("used as a role's permissions boundary: pending until the boundary is removed, then deleted", async () => {
  const { service } = await serviceWith();
  const name = `defer-boundary-${uniqueSuffix()}`;
  expect((await submit(service, upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');
  // Through the strict proxy, which tracks boundaries as real IAM does (moto does not list them).
  const viaProxy = new IAMClient({
    endpoint: services.proxy.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const role = `bounded-${uniqueSuffix()}`;
  await viaProxy.send(
    new CreateRoleCommand({
      RoleName: role,
      AssumeRolePolicyDocument: ASSUME_ROLE,
      PermissionsBoundary: policyArn(name),
    }),
  );
  const pending = await submit(service, waitingDelete(name, 2));
  expect(pending.outcome).toBe('delete-pending');
  expect(pending.result?.entities).toEqual([{ kind: 'role', name: role, usage: 'permissions-boundary' }]);
  await until(
    async () => ((await deferredDeletion(service, name))?.checks ?? 0) >= 2,
    'two checks while the boundary is set',
  );
  expect(await exists(name)).toBe(true);

  await viaProxy.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: role }));
  await untilStatus(service, name, 'deleted');
  expect(await exists(name)).toBe(false);
  viaProxy.destroy();
});

test('continue-as-new during the wait keeps the deletion pending', async () => {
  const { service } = await serviceWith({ policyHistoryLimit: 40 });
  const name = `defer-can-${uniqueSuffix()}`;
  const role = await createAttached(service, name);
  expect((await submit(service, waitingDelete(name, 2))).outcome).toBe('delete-pending');
  const handle = service.client.workflow.getHandle(policyWorkflowId(name));
  const firstRun = (await handle.describe()).runId;
  // Each check adds history events: the workflow soon continues as new, still waiting.
  await until(async () => (await handle.describe()).runId !== firstRun, 'a new run', 60_000);
  expect(await deferredDeletion(service, name)).toMatchObject({ status: 'pending' });

  await detach(role, name);
  await untilStatus(service, name, 'deleted');
  expect(await exists(name)).toBe(false);
});

test('the timer survives the worker: stopped during the wait, a new worker deletes the policy', async () => {
  const first = await serviceWith();
  const name = `defer-restart-${uniqueSuffix()}`;
  const role = await createAttached(first.service, name);
  expect((await submit(first.service, waitingDelete(name, 2))).outcome).toBe('delete-pending');
  const { taskQueue } = first.service;
  await services.stop(first.service);

  // Detached while no worker runs; the timer fires on the server meanwhile.
  await detach(role, name);
  await sleep(FAST_WAIT.firstCheckMs + 1_000);
  expect(await exists(name)).toBe(true);

  const second = await serviceWith({ taskQueue });
  await untilStatus(second.service, name, 'deleted');
  expect(await exists(name)).toBe(false);
  expect(await counted(second.metrics, 'deleted')).toBe(1);
});
