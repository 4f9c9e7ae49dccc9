// The operator's read-only commands of the starter CLI (status, policy, plan) as child processes, against
// the real dev server, the real worker and moto.
import { AttachRolePolicyCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import type { PolicyReport } from '../../src/starter/policy-report';
import { submitEvent, type SubmitOptions } from '../../src/starter/submit';
import { motoEnvironment, runCli } from '../../harness/cli';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import {
  deleteEvent,
  documentAllowing,
  policyArn,
  SOURCE,
  upsertEvent,
  versionsOf,
} from '../../harness/events';
import { MANAGED_BY, startService, type RunningService } from '../../harness/service';

let service: RunningService;
let options: SubmitOptions;
let env: Record<string, string>;

const starter = (args: string[], stdin?: string) => runCli('src/starter.ts', args, { env, stdin });

beforeAll(async () => {
  service = await startService();
  options = {
    client: service.client,
    taskQueue: service.taskQueue,
    wait: true,
    reservedTagKeys: [MANAGED_BY.key],
  };
  env = {
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: service.taskQueue,
    ...motoEnvironment(testIamEndpoint()),
  };
});

afterAll(async () => {
  await service?.stop();
});

test('status: the outcome of a finished event, running for one nobody works on, unknown for one never sent', async () => {
  const name = `cli-status-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  await submitEvent(event, options);
  const done = await starter(['status', SOURCE, event.id as string]);
  expect(done.code).toBe(0);
  expect(done.lines()).toEqual([
    expect.objectContaining({
      outcome: 'created',
      workflowStatus: 'COMPLETED',
      policyName: name,
      workflowId: eventWorkflowId(SOURCE, event.id as string),
      summary: `upsert ${name} (seq 1) from ${SOURCE}`,
    }),
  ]);

  // No worker polls this task queue: the event stays running, not yet handed to its policy workflow.
  const stuck = upsertEvent(`cli-stuck-${uniqueSuffix()}`);
  await submitEvent(stuck, { ...options, taskQueue: `nobody-${uniqueSuffix()}`, wait: false });
  const running = await starter(['status', SOURCE, stuck.id as string]);
  expect(running.code).toBe(0); // known, though not finished
  expect(running.lines()[0]).toMatchObject({
    outcome: 'running',
    workflowStatus: 'RUNNING',
    stage: 'delivering',
  });
  await service.client.workflow.getHandle(eventWorkflowId(SOURCE, stuck.id as string)).terminate('test over');
  const terminated = await starter(['status', SOURCE, stuck.id as string]);
  expect(terminated.lines()[0]).toMatchObject({ outcome: 'failed', workflowStatus: 'TERMINATED' });

  const unknown = await starter(['status', SOURCE, 'never-sent']);
  expect(unknown.code).toBe(1);
  expect(unknown.lines()[0]).toMatchObject({ outcome: 'unknown' });
  expect(String(unknown.lines()[0].reason)).toMatch(/never received/);
});

test("policy: the policy workflow's state next to the policy as IAM has it, attachments included", async () => {
  const name = `cli-policy-${uniqueSuffix()}`;
  const created = upsertEvent(name, { sequence: 1, tags: { team: 'a' } });
  await submitEvent(created, options);
  await submitEvent(
    upsertEvent(name, { sequence: 2, tags: { team: 'a' }, document: documentAllowing(['s3:*']) }),
    options,
  );
  const role = `cli-role-${uniqueSuffix()}`;
  await service.iam.send(
    new CreateRoleCommand({
      RoleName: role,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  await service.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn(name) }));

  const run = await starter(['policy', name.toUpperCase(), '--document']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as PolicyReport & {
    workflow: { recent: { outcome: string }[] };
    iam: { versions: unknown[] };
  };
  expect(report.workflow).toMatchObject({
    workflowId: `policy/${name}`,
    found: true,
    status: 'RUNNING',
    pending: [],
    lastApplied: { position: { sequence: '2' }, result: { outcome: 'updated' } },
  });
  expect(report.workflow.recent.map((r) => r.outcome)).toEqual(['updated', 'created']);
  expect(report.iam).toMatchObject({
    exists: true,
    arn: policyArn(name),
    name,
    defaultVersionId: 'v2',
    owned: true,
    tags: { team: 'a' },
    // moto ignores PolicyUsageFilter and lists the role as a boundary too; real IAM would not.
    attachments: expect.arrayContaining([{ kind: 'role', name: role, usage: 'permissions-policy' }]),
    document: documentAllowing(['s3:*']),
  });
  expect(report.iam.versions).toHaveLength(2);

  const none = await starter(['policy', `cli-none-${uniqueSuffix()}`]);
  expect(none.code).toBe(0);
  expect(JSON.parse(none.stdout)).toMatchObject({ workflow: { found: false }, iam: { exists: false } });
});

test('plan: what each event would do, with nothing written and no event ID used up', async () => {
  const name = `cli-plan-${uniqueSuffix()}`;
  const first = upsertEvent(name, { sequence: 5, tags: { team: 'a' } });
  await submitEvent(first, options);
  const attached = `cli-plan-attached-${uniqueSuffix()}`;
  await submitEvent(upsertEvent(attached, { sequence: 1 }), options);
  const role = `cli-plan-role-${uniqueSuffix()}`;
  await service.iam.send(
    new CreateRoleCommand({
      RoleName: role,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  await service.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn(attached) }));

  const fresh = `cli-plan-new-${uniqueSuffix()}`;
  const newEvent = upsertEvent(fresh, { sequence: 1 });
  const change = upsertEvent(name, {
    sequence: 6,
    tags: { team: 'b' },
    document: documentAllowing(['s3:*']),
  });
  const lines = [
    JSON.stringify(newEvent),
    JSON.stringify(first),
    JSON.stringify(change),
    JSON.stringify(upsertEvent(name, { sequence: 4 })),
    JSON.stringify(upsertEvent(name, { sequence: 7, tags: { team: 'a' } })),
    '{broken',
    JSON.stringify(deleteEvent(attached, { sequence: 2 })),
    JSON.stringify(deleteEvent(`cli-plan-absent-${uniqueSuffix()}`)),
  ];
  const run = await starter(['plan', '-'], lines.join('\n'));
  expect(run.stderr).toBe('');
  expect(run.code).toBe(1); // the broken line
  const planned = run.lines();
  expect(planned.map((p) => [p.line, p.wouldBe])).toEqual([
    [1, 'created'],
    [2, 'duplicate'],
    [3, 'updated'],
    [4, 'superseded'],
    [5, 'unchanged'],
    [6, 'rejected'],
    [7, 'retained-in-use'],
    [8, 'absent'],
  ]);
  expect(planned[2].plan).toMatchObject({
    kind: 'update',
    documentChanged: true,
    tagsToSet: { team: 'b' },
    tagKeysToRemove: [],
  });
  expect(planned[6].entities).toEqual(
    expect.arrayContaining([{ kind: 'role', name: role, usage: 'permissions-policy' }]),
  );

  // Nothing written, nothing started: the policies are as they were, and the new event's ID is unused.
  expect(await versionsOf(service.iam, policyArn(name))).toHaveLength(1);
  await expect(
    service.client.workflow.getHandle(eventWorkflowId(SOURCE, newEvent.id as string)).describe(),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect((await submitEvent(newEvent, options)).outcome).toBe('created');
  expect((await submitEvent(change, options)).outcome).toBe('updated');
});

test('every command has --help with examples', async () => {
  const commands = ['submit', 'status', 'policy', 'plan'];
  const helps = await Promise.all(commands.map((command) => starter([command, '--help'])));
  for (const help of helps) {
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n {2}npm run --silent starter -- /);
  }
});
