// IAM as it really behaves: reads of a policy answer the state from before its latest write for a while
// (the strict proxy's lagging replicas). The policy workflow, the only writer of its policy, must not
// misjudge its own writes: it reads again until IAM shows them (src/domain/read-fence.ts).
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { documentsEqual } from '../../src/domain/document';
import { submitEvent, type SubmitReport } from '../../src/starter/submit';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import {
  defaultDocument,
  deleteEvent,
  documentAllowing,
  policiesNamed,
  policyArn,
  upsertEvent,
  versionsOf,
} from '../../harness/events';
import { directIam } from '../../harness/scenario-runner';
import { startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { startService, type RunningService } from '../../harness/service';

/** Longer than a few events take one after another, far shorter than the workflow's wait bound. */
const LAG_MS = 2_500;

let proxy: IamProxy;
let service: RunningService;
let moto: IAMClient;
/** Requests of someone else, through the proxy: IAM's reads show them late too. */
let proxied: IAMClient;

beforeAll(async () => {
  proxy = await startIamProxy(testIamEndpoint(), { strict: true, consistency: { lagMs: LAG_MS } });
  service = await startService({ iamEndpoint: proxy.endpoint });
  moto = directIam(testIamEndpoint());
  proxied = directIam(proxy.endpoint);
});

afterAll(async () => {
  await service?.stop();
  await proxy?.close();
});

const submit = (event: unknown): Promise<SubmitReport> => submitEvent(event, service.submitOptions());

async function tagsOf(name: string): Promise<Record<string, string>> {
  const { Policy: policy } = await moto.send(new GetPolicyCommand({ PolicyArn: policyArn(name) }));
  return Object.fromEntries((policy?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

test('an upsert right after a create, a return to the previous document, the same document twice, a tags change: each as IAM really is', async () => {
  const name = `lag-up-${uniqueSuffix()}`;
  const a = documentAllowing(['s3:GetObject']);
  const b = documentAllowing(['s3:PutObject']);
  expect((await submit(upsertEvent(name, { sequence: 1, document: a }))).outcome).toBe('created');
  // Right after the create: a stale read says absent; planned as a create it would be rejected.
  const second = await submit(upsertEvent(name, { sequence: 2, document: b, tags: { team: 'x' } }));
  expect(second).toMatchObject({ outcome: 'updated' });
  // Back to A within the lag: a stale read shows A in v1, which would make it `unchanged`.
  expect((await submit(upsertEvent(name, { sequence: 3, document: a, tags: { team: 'x' } }))).outcome).toBe(
    'updated',
  );
  // The same document again: unchanged, no second identical version.
  expect((await submit(upsertEvent(name, { sequence: 4, document: a, tags: { team: 'x' } }))).outcome).toBe(
    'unchanged',
  );
  // A tags change right after: not lost.
  expect((await submit(upsertEvent(name, { sequence: 5, document: a, tags: { team: 'y' } }))).outcome).toBe(
    'updated',
  );
  const arn = policyArn(name);
  expect((await versionsOf(moto, arn)).map((v) => v.VersionId)).toEqual(['v1', 'v2', 'v3']);
  expect(documentsEqual(await defaultDocument(moto, arn), a)).toBe(true);
  expect(await tagsOf(name)).toMatchObject({ team: 'y' });
  expect(proxy.staleReads()).toBeGreaterThan(0);
}, 180_000);

test('a delete right after a create deletes; an upsert right after that delete creates again', async () => {
  const name = `lag-del-${uniqueSuffix()}`;
  expect((await submit(upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');
  expect((await submit(deleteEvent(name, { sequence: 2 }))).outcome).toBe('deleted');
  expect(await policiesNamed(moto, name)).toHaveLength(0);
  expect((await submit(upsertEvent(name, { sequence: 3 }))).outcome).toBe('created');
  expect(await policiesNamed(moto, name)).toHaveLength(1);
}, 180_000);

async function documentsOfVersions(arn: string): Promise<{ id: string; isDefault: boolean; doc: unknown }[]> {
  const versions = await versionsOf(moto, arn);
  return Promise.all(
    versions.map(async (version) => {
      const { PolicyVersion } = await moto.send(
        new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version.VersionId }),
      );
      return {
        id: version.VersionId ?? '',
        isDefault: version.IsDefaultVersion === true,
        doc: JSON.parse(decodeURIComponent(PolicyVersion?.Document ?? '')) as unknown,
      };
    }),
  );
}

test('a lost CreatePolicyVersion answer at the version limit, with lagging reads: updated, never rejected, no second copy', async () => {
  const name = `lag-limit-${uniqueSuffix()}`;
  const arn = policyArn(name);
  expect(
    (await submit(upsertEvent(name, { sequence: 1, document: documentAllowing(['s3:A1']) }))).outcome,
  ).toBe('created');
  for (let sequence = 2; sequence <= 5; sequence += 1) {
    const document = documentAllowing([`s3:A${sequence}`]);
    expect((await submit(upsertEvent(name, { sequence, document }))).outcome).toBe('updated');
  }
  expect(await versionsOf(moto, arn)).toHaveLength(5);
  // IAM makes the version, the answer is lost, the SDK sends it again: a 6th version is LimitExceeded.
  proxy.loseAnswers({ action: 'CreatePolicyVersion', policyName: name });
  const wanted = documentAllowing(['s3:Final']);
  const report = await submit(upsertEvent(name, { sequence: 6, document: wanted }));
  expect(report.result).toMatchObject({ outcome: 'updated', versionId: 'v6' });
  const versions = await documentsOfVersions(arn);
  expect(versions).toHaveLength(5);
  expect(versions.filter((v) => documentsEqual(v.doc as Record<string, unknown>, wanted))).toEqual([
    expect.objectContaining({ id: 'v6', isDefault: true }),
  ]);
}, 180_000);

test('a lost CreatePolicyVersion answer below the limit, with lagging reads: the copy the SDK retry made is removed', async () => {
  const name = `lag-copy-${uniqueSuffix()}`;
  const arn = policyArn(name);
  expect((await submit(upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');
  proxy.loseAnswers({ action: 'CreatePolicyVersion', policyName: name });
  const wanted = documentAllowing(['s3:Copy']);
  expect((await submit(upsertEvent(name, { sequence: 2, document: wanted }))).outcome).toBe('updated');
  const copies = (await documentsOfVersions(arn)).filter((v) =>
    documentsEqual(v.doc as Record<string, unknown>, wanted),
  );
  expect(copies).toEqual([expect.objectContaining({ isDefault: true })]);
}, 180_000);

test('ListPolicies lags too: an event naming the policy in another case right after its create updates it', async () => {
  const name = `lag-case-${uniqueSuffix()}`;
  expect((await submit(upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');
  // GetPolicy of the other spelling's ARN is NoSuchEntity and the case-insensitive scan of ListPolicies
  // does not list the new policy yet: read as absent, it would be planned as a create and refused.
  const document = documentAllowing(['s3:PutObject']);
  const report = await submit(upsertEvent(name.toUpperCase(), { sequence: 2, document }));
  expect(report.result).toMatchObject({ outcome: 'updated', versionId: 'v2' });
  expect(await policiesNamed(moto, name)).toHaveLength(1);
}, 180_000);

describe('a racing attacher (a role attaches the policy between the observation and the delete)', () => {
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });

  async function policyWithThreeVersions(name: string): Promise<void> {
    for (let sequence = 1; sequence <= 3; sequence += 1) {
      const document = documentAllowing([`s3:V${sequence}`]);
      await submit(upsertEvent(name, { sequence, document }));
    }
    expect(await versionsOf(moto, policyArn(name))).toHaveLength(3);
  }

  async function racingRole(name: string, before: string): Promise<string> {
    const role = `racer-${uniqueSuffix()}`;
    await moto.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }));
    proxy.raceAttach({ policyName: name, roleName: role, before });
    return role;
  }

  test('attached before the versions go: retained-in-use, no version deleted (the policy keeps its history)', async () => {
    const name = `race-early-${uniqueSuffix()}`;
    await policyWithThreeVersions(name);
    const role = await racingRole(name, 'ListPolicyVersions');
    const report = await submit(deleteEvent(name, { sequence: 4 }));
    expect(report.result).toMatchObject({
      outcome: 'retained-in-use',
      entities: [{ kind: 'role', name: role, usage: 'permissions-policy' }],
      actions: [],
    });
    expect(await versionsOf(moto, policyArn(name))).toHaveLength(3);
  }, 180_000);

  test('attached through IAM just before the delete, its reads not listing it yet: never deleted, the versions deleted are in the outcome', async () => {
    const name = `race-lag-${uniqueSuffix()}`;
    await policyWithThreeVersions(name);
    const role = `lagging-${uniqueSuffix()}`;
    await moto.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }));
    // Once the reads show the service's own writes: the delete is then decided at once, within the lag.
    await new Promise((resolve) => setTimeout(resolve, LAG_MS));
    // Through the proxy: for LAG_MS, ListEntitiesForPolicy and GetPolicy's count do not show it.
    await proxied.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn(name) }));
    const report = await submit(deleteEvent(name, { sequence: 4 }));
    // The checks read replicas that do not show the role, so the versions went (the window docs/design.md
    // names); DeletePolicy is checked on the control plane and refused.
    expect(report.result).toMatchObject({
      outcome: 'retained-in-use',
      entities: [{ kind: 'role', name: role, usage: 'permissions-policy' }],
      actions: [
        { action: 'DeletePolicyVersion', versionId: 'v1' },
        { action: 'DeletePolicyVersion', versionId: 'v2' },
      ],
    });
    expect(await policiesNamed(moto, name)).toHaveLength(1);
  }, 180_000);

  test('attached while the versions go: retained-in-use, and the versions deleted are in the outcome', async () => {
    const name = `race-late-${uniqueSuffix()}`;
    await policyWithThreeVersions(name);
    await racingRole(name, 'DeletePolicyVersion');
    const report = await submit(deleteEvent(name, { sequence: 4 }));
    expect(report.result).toMatchObject({
      outcome: 'retained-in-use',
      actions: [
        { action: 'DeletePolicyVersion', versionId: 'v1' },
        { action: 'DeletePolicyVersion', versionId: 'v2' },
      ],
    });
    expect(await policiesNamed(moto, name)).toHaveLength(1);
    // DeletePolicy was never sent: the check right before it saw the role.
    expect(
      proxy.requests.filter((r) => r.action === 'DeletePolicy' && r.params.PolicyArn === policyArn(name)),
    ).toEqual([]);
  }, 180_000);
});
