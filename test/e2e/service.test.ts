// End to end: the starter library, the real worker, a real Temporal dev server and moto.
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { documentsEqual } from '../../src/domain/document';
import { policyWorkflowId } from '../../src/domain/ids';
import type { PolicyState } from '../../src/domain/policy-queue';
import { submitEvent, type SubmitOptions, type SubmitReport } from '../../src/starter/submit';
import type { eventWorkflow } from '../../src/workflows/event-workflow';
import { validateEvent } from '../../src/sources/event-validation';
import { deliverEventSignal, policyStateQuery } from '../../src/messages/workflow-messages';
import { uniqueSuffix } from '../../harness/env';
import {
  defaultDocument,
  deleteEvent,
  documentAllowing,
  policiesNamed,
  policyArn,
  upsertEvent,
  versionsOf,
} from '../../harness/events';
import { startService, type RunningService } from '../../harness/service';

let service: RunningService;
let submitOptions: SubmitOptions;

beforeAll(async () => {
  service = await startService({ policyHistoryLimit: 120 });
  submitOptions = service.submitOptions();
});

afterAll(async () => {
  await service?.stop();
});

const submit = (event: unknown, wait = true): Promise<SubmitReport> =>
  submitEvent(event, { ...submitOptions, wait });

test('an upsert creates a tagged policy, a repeat is unchanged, a change makes a new default version', async () => {
  const name = `e2e-basic-${uniqueSuffix()}`;
  const created = await submit(upsertEvent(name, { sequence: 1, tags: { team: 'a' } }));
  expect(created).toMatchObject({ outcome: 'created', policyName: name });
  expect(created.result?.actions.map((a) => a.action)).toEqual(['CreatePolicy']);

  const same = await submit(
    upsertEvent(name, {
      sequence: 2,
      tags: { team: 'a' },
      // Same semantics, other shape: a string instead of a one-element array.
      document: {
        Statement: { Resource: '*', Action: 's3:GetObject', Effect: 'Allow' },
        Version: '2012-10-17',
      },
    }),
  );
  expect(same.outcome).toBe('unchanged');
  expect(same.result?.actions).toEqual([]);

  const changed = await submit(
    upsertEvent(name, { sequence: 3, document: documentAllowing(['s3:PutObject']) }),
  );
  expect(changed.outcome).toBe('updated');

  const [policy] = await policiesNamed(service.iam, name);
  const versions = await versionsOf(service.iam, policy.Arn!);
  expect(versions).toHaveLength(2);
  expect(
    documentsEqual(await defaultDocument(service.iam, policy.Arn!), documentAllowing(['s3:PutObject'])),
  ).toBe(true);
});

test('duplicates delivered concurrently create one policy and one version; extra deliveries are duplicates', async () => {
  const name = `e2e-dup-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  const reports = await Promise.all(Array.from({ length: 6 }, () => submit(event)));
  const outcomes = reports.map((r) => r.outcome).sort();
  expect(outcomes).toEqual(['created', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
  for (const duplicate of reports.filter((r) => r.outcome === 'duplicate')) {
    expect(duplicate.firstOutcome).toBe('created');
  }
  const policies = await policiesNamed(service.iam, name);
  expect(policies).toHaveLength(1);
  expect(await versionsOf(service.iam, policies[0].Arn!)).toHaveLength(1);
});

test('the same (source, id) with another payload is a conflict and changes nothing', async () => {
  const name = `e2e-conflict-${uniqueSuffix()}`;
  const first = upsertEvent(name, { id: `c-${uniqueSuffix()}`, sequence: 1 });
  expect((await submit(first)).outcome).toBe('created');
  const other = upsertEvent(name, {
    id: first.id as string,
    sequence: 1,
    document: documentAllowing(['ec2:*']),
  });
  const conflict = await submit(other);
  expect(conflict.outcome).toBe('conflict');
  expect(conflict.reason).toMatch(/different payload/);
  const [policy] = await policiesNamed(service.iam, name);
  expect(await versionsOf(service.iam, policy.Arn!)).toHaveLength(1);
});

test('events delivered out of order: older ones are superseded and never overwrite the newer one', async () => {
  const name = `e2e-order-${uniqueSuffix()}`;
  const newest = await submit(
    upsertEvent(name, { sequence: 10, document: documentAllowing(['s3:ListBucket']) }),
  );
  expect(newest.outcome).toBe('created');
  const older = await submit(
    upsertEvent(name, { sequence: 9, document: documentAllowing(['s3:GetObject']) }),
  );
  expect(older.outcome).toBe('superseded');
  expect(older.reason).toMatch(/already applied/);
  // Numeric, not lexicographic: 9 < 10 but "9" > "10".
  const [policy] = await policiesNamed(service.iam, name);
  expect(
    documentsEqual(await defaultDocument(service.iam, policy.Arn!), documentAllowing(['s3:ListBucket'])),
  ).toBe(true);

  // A delete at 11, then an upsert at 10.5-ish (10 again from another id) must not bring the policy back.
  expect((await submit(deleteEvent(name, { sequence: 11 }))).outcome).toBe('deleted');
  const late = await submit(upsertEvent(name, { sequence: 10, document: documentAllowing(['s3:*']) }));
  expect(late.outcome).toBe('superseded');
  expect(await policiesNamed(service.iam, name)).toHaveLength(0);
});

test('a burst of waiting events is coalesced: only the newest is applied', async () => {
  const name = `e2e-burst-${uniqueSuffix()}`;
  expect((await submit(upsertEvent(name, { sequence: 0 }))).outcome).toBe('created');
  const burst = Array.from({ length: 12 }, (_, i) =>
    upsertEvent(name, { sequence: i + 1, document: documentAllowing([`s3:Action${i + 1}`]) }),
  );
  const reports = await Promise.all(burst.map((event) => submit(event)));
  const applied = reports.filter((r) => r.outcome === 'updated');
  expect(reports.every((r) => r.outcome === 'updated' || r.outcome === 'superseded')).toBe(true);
  // The newest always wins; how many older ones were applied first depends on timing, never all of them.
  expect(reports[reports.length - 1].outcome).toBe('updated');
  expect(applied.length).toBeLessThan(reports.length);
  const [policy] = await policiesNamed(service.iam, name);
  expect(
    documentsEqual(await defaultDocument(service.iam, policy.Arn!), documentAllowing(['s3:Action12'])),
  ).toBe(true);
  expect((await versionsOf(service.iam, policy.Arn!)).length).toBeLessThanOrEqual(5);
});

test('a delete of an attached policy is retained-in-use with the entity; after detaching, a newer delete deletes', async () => {
  const name = `e2e-attached-${uniqueSuffix()}`;
  const roleName = `role-${uniqueSuffix()}`;
  expect((await submit(upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');
  expect(
    (await submit(upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:PutObject']) }))).outcome,
  ).toBe('updated');
  const arn = policyArn(name);
  await service.iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  await service.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));

  const retained = await submit(deleteEvent(name, { sequence: 3 }));
  expect(retained.outcome).toBe('retained-in-use');
  // moto ignores PolicyUsageFilter and lists the role as a boundary user too; real IAM lists it once.
  expect(retained.entities).toContainEqual({ kind: 'role', name: roleName, usage: 'permissions-policy' });
  expect(await versionsOf(service.iam, arn)).toHaveLength(2);

  await service.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
  const deleted = await submit(deleteEvent(name, { sequence: 4 }));
  expect(deleted.outcome).toBe('deleted');
  expect(deleted.result?.actions.map((a) => a.action)).toEqual(['DeletePolicyVersion', 'DeletePolicy']);
  expect(await policiesNamed(service.iam, name)).toHaveLength(0);
  expect((await submit(deleteEvent(name, { sequence: 5 }))).outcome).toBe('absent');
});

test('a policy this service does not manage is never touched', async () => {
  const name = `e2e-foreign-${uniqueSuffix()}`;
  await service.iam.send(
    new CreatePolicyCommand({
      PolicyName: name,
      PolicyDocument: JSON.stringify(documentAllowing(['s3:GetObject'])),
    }),
  );
  const update = await submit(upsertEvent(name, { sequence: 1, document: documentAllowing(['s3:*']) }));
  expect(update.outcome).toBe('rejected');
  expect(update.reason).toMatch(/not managed by this service/);
  const remove = await submit(deleteEvent(name, { sequence: 2 }));
  expect(remove.outcome).toBe('rejected');
  const [policy] = await policiesNamed(service.iam, name);
  expect(await versionsOf(service.iam, policy.Arn!)).toHaveLength(1);
});

test('names differing only in case are one policy with one order', async () => {
  const suffix = uniqueSuffix();
  const upper = `E2E-Case-${suffix}`;
  const lower = upper.toLowerCase();
  expect((await submit(upsertEvent(upper, { sequence: 1 }))).outcome).toBe('created');
  const second = await submit(
    upsertEvent(lower, { sequence: 2, document: documentAllowing(['s3:PutObject']) }),
  );
  expect(second.outcome).toBe('updated');
  expect(
    (await submit(upsertEvent(lower, { sequence: 1, document: documentAllowing(['s3:*']) }))).outcome,
  ).toBe('superseded');
  const policies = await policiesNamed(service.iam, lower);
  expect(policies.map((p) => p.PolicyName)).toEqual([upper]);
});

test('an invalid event is rejected with a reason before anything starts', async () => {
  const bad = upsertEvent(`e2e-bad-${uniqueSuffix()}`, {
    document: { Version: '2012-10-17', Statement: [{ Effect: 'allow', Action: 's3:*', Resource: '*' }] },
  });
  const report = await submit(bad);
  expect(report.outcome).toBe('rejected');
  expect(report.reason).toMatch(/Effect/);
  expect(report.workflowId).toBeUndefined();
});

test('without --wait an event is accepted; the policy workflow keeps its order across continue-as-new', async () => {
  const name = `e2e-long-${uniqueSuffix()}`;
  const accepted = await submit(upsertEvent(name, { sequence: 1 }), false);
  expect(accepted.outcome).toBe('accepted');
  // Let it finish: had the next event arrived while this one waited, it would have superseded it.
  const first = service.client.workflow.getHandle<typeof eventWorkflow>(accepted.workflowId!);
  expect((await first.result()).outcome).toBe('created');
  // Enough sequential events to pass the test's history limit (120) at least once (about 7 history
  // events each).
  const last = 20;
  for (let sequence = 2; sequence <= last; sequence += 1) {
    const report = await submit(
      upsertEvent(name, { sequence, document: documentAllowing([`s3:A${sequence}`]) }),
    );
    expect(report.outcome).toBe('updated');
  }
  const handle = service.client.workflow.getHandle(policyWorkflowId(name));
  const description = await handle.describe();
  const firstRun = service.client.workflow.list({ query: `WorkflowId = '${policyWorkflowId(name)}'` });
  let runs = 0;
  for await (const _ of firstRun) runs += 1;
  expect(runs).toBeGreaterThan(1);
  expect(description.status.name).toBe('RUNNING');
  const state: PolicyState = await handle.query(policyStateQuery);
  expect(state.lastApplied?.sequence).toBe(String(last));
  expect((await submit(upsertEvent(name, { sequence: 3 }))).outcome).toBe('superseded');
  const [policy] = await policiesNamed(service.iam, name);
  expect((await versionsOf(service.iam, policy.Arn!)).length).toBe(5);
});

test('a result whose event workflow is gone is remembered, and the policy workflow goes on', async () => {
  const name = `e2e-gone-${uniqueSuffix()}`;
  expect((await submit(upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');
  // A delivery from an event workflow that no longer exists (as after an operator terminated it).
  const validation = validateEvent(
    upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:ListBucket']) }),
  );
  if (!validation.ok) throw new Error(validation.reason);
  const handle = service.client.workflow.getHandle(policyWorkflowId(name));
  const replyTo = {
    workflowId: `event/gone-${uniqueSuffix()}`,
    runId: '11111111-2222-4333-8444-555555555555',
  };
  await handle.signal(deliverEventSignal, { event: validation.event, replyTo });
  const resultOfGone = async () => {
    const state: PolicyState = await handle.query(policyStateQuery);
    return state.recent.find((finished) => finished.runId === replyTo.runId)?.result;
  };
  for (let attempt = 0; attempt < 100 && !(await resultOfGone()); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await resultOfGone()).toMatchObject({ outcome: 'updated', id: validation.event.id });
  // Sending that result to the missing workflow did not stop the queue: the next event is applied.
  const third = await submit(
    upsertEvent(name, { sequence: 3, document: documentAllowing(['s3:PutObject']) }),
  );
  expect(third.outcome).toBe('updated');
  const after = await handle.query<PolicyState>(policyStateQuery);
  expect(after.outbox).toEqual([]);
  const [policy] = await policiesNamed(service.iam, name);
  expect((await versionsOf(service.iam, policy.Arn!)).length).toBe(3);
});
