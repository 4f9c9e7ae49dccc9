// Attached and boundary policies, through the strict IAM proxy (which, like IAM, refuses DeletePolicy
// for them): deletes are `retained-in-use` and delete no version; once detached, a newer delete deletes.
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteUserPermissionsBoundaryCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
  ListPolicyVersionsCommand,
  PutRolePermissionsBoundaryCommand,
  PutUserPermissionsBoundaryCommand,
} from '@aws-sdk/client-iam';
import type { PolicyEntity } from '../../src/domain/types';
import { startIamProxy } from '../iam-proxy';
import { startService } from '../service';
import {
  ACCOUNT_ID,
  checkIamState,
  countBy,
  directIam,
  documentFor,
  plannedDelete,
  plannedUpsert,
  submitDelivery,
  type PlannedEvent,
  type ScenarioReport,
} from '../scenario-runner';
import { runId, say, type ScenarioContext } from './context';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** How a policy is in use, and how to stop that. */
interface Usage {
  name: string;
  entity: PolicyEntity;
  use(iam: IAMClient, arn: string): Promise<void>;
  release(iam: IAMClient, arn: string): Promise<void>;
}

function usages(run: string): Usage[] {
  const role = (suffix: string) => `${run}-role-${suffix}`;
  const user = (suffix: string) => `${run}-user-${suffix}`;
  return [
    {
      name: 'attached to a role',
      entity: { kind: 'role', name: role('a'), usage: 'permissions-policy' },
      use: async (iam, arn) => {
        await iam.send(new CreateRoleCommand({ RoleName: role('a'), AssumeRolePolicyDocument: TRUST }));
        await iam.send(new AttachRolePolicyCommand({ RoleName: role('a'), PolicyArn: arn }));
      },
      release: (iam, arn) =>
        iam.send(new DetachRolePolicyCommand({ RoleName: role('a'), PolicyArn: arn })).then(() => undefined),
    },
    {
      name: 'attached to a user',
      entity: { kind: 'user', name: user('a'), usage: 'permissions-policy' },
      use: async (iam, arn) => {
        await iam.send(new CreateUserCommand({ UserName: user('a') }));
        await iam.send(new AttachUserPolicyCommand({ UserName: user('a'), PolicyArn: arn }));
      },
      release: (iam, arn) =>
        iam.send(new DetachUserPolicyCommand({ UserName: user('a'), PolicyArn: arn })).then(() => undefined),
    },
    {
      name: 'attached to a group',
      entity: { kind: 'group', name: `${run}-group`, usage: 'permissions-policy' },
      use: async (iam, arn) => {
        await iam.send(new CreateGroupCommand({ GroupName: `${run}-group` }));
        await iam.send(new AttachGroupPolicyCommand({ GroupName: `${run}-group`, PolicyArn: arn }));
      },
      release: (iam, arn) =>
        iam
          .send(new DetachGroupPolicyCommand({ GroupName: `${run}-group`, PolicyArn: arn }))
          .then(() => undefined),
    },
    {
      name: "a role's permissions boundary",
      entity: { kind: 'role', name: role('b'), usage: 'permissions-boundary' },
      use: async (iam, arn) => {
        await iam.send(new CreateRoleCommand({ RoleName: role('b'), AssumeRolePolicyDocument: TRUST }));
        await iam.send(
          new PutRolePermissionsBoundaryCommand({ RoleName: role('b'), PermissionsBoundary: arn }),
        );
      },
      release: (iam) =>
        iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: role('b') })).then(() => undefined),
    },
    {
      name: "a role's boundary given at creation",
      entity: { kind: 'role', name: role('c'), usage: 'permissions-boundary' },
      use: (iam, arn) =>
        iam
          .send(
            new CreateRoleCommand({
              RoleName: role('c'),
              AssumeRolePolicyDocument: TRUST,
              PermissionsBoundary: arn,
            }),
          )
          .then(() => undefined),
      release: (iam) =>
        iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: role('c') })).then(() => undefined),
    },
    {
      name: "a user's permissions boundary",
      entity: { kind: 'user', name: user('b'), usage: 'permissions-boundary' },
      use: async (iam, arn) => {
        await iam.send(new CreateUserCommand({ UserName: user('b') }));
        await iam.send(
          new PutUserPermissionsBoundaryCommand({ UserName: user('b'), PermissionsBoundary: arn }),
        );
      },
      release: (iam) =>
        iam.send(new DeleteUserPermissionsBoundaryCommand({ UserName: user('b') })).then(() => undefined),
    },
  ];
}

export async function attachedAndBoundary(context: ScenarioContext): Promise<ScenarioReport> {
  const started = Date.now();
  const run = runId(context, 'inuse');
  const source = `urn:reliability:${run}`;
  const proxy = await startIamProxy(context.motoEndpoint, { strict: true, seed: context.seed });
  const service = await startService({
    iamEndpoint: proxy.endpoint,
    temporalAddress: context.temporalAddress,
  });
  // Set-up goes through the proxy too, so it sees the boundaries (as IAM would know them).
  const admin = new IAMClient({
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' },
  });
  const moto = directIam(context.motoEndpoint);
  const problems: string[] = [];
  const reports: string[] = [];
  const events: PlannedEvent[] = [];
  const submit = async (event: PlannedEvent) => {
    events.push(event);
    const report = await submitDelivery(service.client, service.taskQueue, event, { wait: true });
    reports.push(report.outcome);
    return report;
  };
  try {
    const cases = usages(run);
    say(
      context,
      `in use: ${cases.length} policies, each attached or a boundary, deleted before and after release`,
    );
    for (const [index, usage] of cases.entries()) {
      const name = `${run}-p${index}`;
      const arn = `arn:aws:iam::${ACCOUNT_ID}:policy/${name}`;
      for (const sequence of ['1', '2']) {
        const report = await submit(
          plannedUpsert(source, `${name}-u${sequence}`, name, sequence, documentFor(name, Number(sequence))),
        );
        if (report.outcome !== (sequence === '1' ? 'created' : 'updated'))
          problems.push(`${name} upsert ${sequence}: ${report.outcome}`);
      }
      await usage.use(admin, arn);
      const deletesBefore = proxy.count('DeletePolicyVersion') + proxy.count('DeletePolicy');
      const retained = await submit(plannedDelete(source, `${name}-d3`, name, '3'));
      if (retained.outcome !== 'retained-in-use')
        problems.push(`${name} (${usage.name}): delete ended ${retained.outcome}: ${retained.reason ?? ''}`);
      else if (
        !retained.entities?.some(
          (e) =>
            e.kind === usage.entity.kind && e.name === usage.entity.name && e.usage === usage.entity.usage,
        )
      ) {
        problems.push(
          `${name} (${usage.name}): entities ${JSON.stringify(retained.entities)} miss ${JSON.stringify(usage.entity)}`,
        );
      }
      if (proxy.count('DeletePolicyVersion') + proxy.count('DeletePolicy') !== deletesBefore)
        problems.push(`${name} (${usage.name}): a delete was sent while in use`);
      const versions = (await moto.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [];
      if (versions.length !== 2)
        problems.push(`${name} (${usage.name}): ${versions.length} versions left, not 2`);
      await usage.release(admin, arn);
      const deleted = await submit(plannedDelete(source, `${name}-d4`, name, '4'));
      if (deleted.outcome !== 'deleted')
        problems.push(
          `${name} (${usage.name}): delete after release ended ${deleted.outcome}: ${deleted.reason ?? ''}`,
        );
    }
    const state = await checkIamState(
      moto,
      new Map(cases.map((_, index) => [`${run}-p${index}`.toLowerCase(), { exists: false as const }])),
    );
    return {
      scenario: 'attached and boundary',
      events: events.length,
      deliveries: events.length,
      faults: { 'policies in use': cases.length },
      outcomes: countBy(reports, (outcome) => outcome),
      iamCalls: proxy.totalRequests(),
      lost: reports.filter((outcome) => ['failed', 'rejected', 'conflict'].includes(outcome)).length,
      // Each problem above is a policy that was handled wrongly (retained, deleted or versioned wrongly).
      wrongFinalStates: state.wrong + problems.length,
      problems: [...problems, ...state.problems],
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await service.stop();
    await proxy.close();
  }
}
