// The test proxy's strict-IAM mode and fault injection, checked against moto through the AWS SDK:
// the tests that rely on it (test/reliability) are only as good as these behaviours.
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteUserPermissionsBoundaryCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListEntitiesForPolicyCommand,
  ListPolicyVersionsCommand,
  PutRolePermissionsBoundaryCommand,
  PutUserPermissionsBoundaryCommand,
  TagPolicyCommand,
  paginateListPolicies,
  type PolicyUsageType,
} from '@aws-sdk/client-iam';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { startMoto } from '../../harness/servers';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const motoEndpoint = testIamEndpoint();

function iamAt(endpoint: string): IAMClient {
  // One attempt: the test sees exactly what the proxy answered.
  return new IAMClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}

const document = (action = 's3:GetObject') =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

async function failureOf(
  work: Promise<unknown>,
): Promise<{ name?: string; status?: number; message?: string }> {
  try {
    await work;
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the request to fail');
}

let proxy: IamProxy;
let iam: IAMClient;
const moto = iamAt(motoEndpoint);

beforeEach(async () => {
  proxy = await startIamProxy(motoEndpoint, { strict: true, seed: 7 });
  iam = iamAt(proxy.endpoint);
});
afterEach(() => proxy.close());

async function createPolicy(name: string, path = '/'): Promise<string> {
  const { Policy } = await iam.send(
    new CreatePolicyCommand({ PolicyName: name, Path: path, PolicyDocument: document() }),
  );
  return Policy!.Arn!;
}

async function entityNames(arn: string, filter?: PolicyUsageType): Promise<string[]> {
  const answer = await iam.send(
    new ListEntitiesForPolicyCommand({ PolicyArn: arn, PolicyUsageFilter: filter }),
  );
  return [
    ...(answer.PolicyRoles ?? []).map((r) => `role:${r.RoleName}`),
    ...(answer.PolicyUsers ?? []).map((u) => `user:${u.UserName}`),
    ...(answer.PolicyGroups ?? []).map((g) => `group:${g.GroupName}`),
  ].sort();
}

describe('strict IAM', () => {
  test('GetPolicyVersion returns the document URL-encoded; ListPolicyVersions carries no documents', async () => {
    const arn = await createPolicy(`strict-enc-${uniqueSuffix()}`);
    const { PolicyVersion } = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }),
    );
    expect(PolicyVersion?.Document).toMatch(/^%7B%22Version%22%3A%222012-10-17%22/);
    expect(JSON.parse(decodeURIComponent(PolicyVersion!.Document!))).toEqual(JSON.parse(document()));
    const { Versions } = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    expect(Versions).toHaveLength(1);
    expect(Versions?.[0].Document).toBeUndefined();
  });

  test('DeletePolicy is refused while attached, while a boundary, and while other versions exist', async () => {
    const arn = await createPolicy(`strict-del-${uniqueSuffix()}`);
    const role = `strict-role-${uniqueSuffix()}`;
    await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }));

    await iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
    expect(await failureOf(iam.send(new DeletePolicyCommand({ PolicyArn: arn })))).toMatchObject({
      name: 'DeleteConflictException',
      status: 409,
      message: 'Cannot delete a policy attached to entities.',
    });
    await iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));

    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: role, PermissionsBoundary: arn }));
    expect(await failureOf(iam.send(new DeletePolicyCommand({ PolicyArn: arn })))).toMatchObject({
      name: 'DeleteConflictException',
      message: expect.stringContaining('permissions boundary'),
    });
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: role }));

    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: document('s3:A'),
        SetAsDefault: true,
      }),
    );
    expect(await failureOf(iam.send(new DeletePolicyCommand({ PolicyArn: arn })))).toMatchObject({
      name: 'DeleteConflictException',
      message: expect.stringContaining('more than one version'),
    });
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));

    // Nothing refused it above: moto still has it.
    await moto.send(new GetPolicyCommand({ PolicyArn: arn }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    expect(await failureOf(moto.send(new GetPolicyCommand({ PolicyArn: arn })))).toMatchObject({
      status: 404,
    });
  });

  test('ListEntitiesForPolicy honours PolicyUsageFilter and EntityFilter, boundaries included', async () => {
    const arn = await createPolicy(`strict-list-${uniqueSuffix()}`);
    const attachedRole = `attached-${uniqueSuffix()}`;
    const boundedRole = `bounded-${uniqueSuffix()}`;
    const bothUser = `both-${uniqueSuffix()}`;
    await iam.send(new CreateRoleCommand({ RoleName: attachedRole, AssumeRolePolicyDocument: trust }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: attachedRole, PolicyArn: arn }));
    // A boundary given at creation counts as seen.
    await iam.send(
      new CreateRoleCommand({
        RoleName: boundedRole,
        AssumeRolePolicyDocument: trust,
        PermissionsBoundary: arn,
      }),
    );
    await iam.send(new CreateUserCommand({ UserName: bothUser }));
    await iam.send(new AttachUserPolicyCommand({ UserName: bothUser, PolicyArn: arn }));
    await iam.send(new PutUserPermissionsBoundaryCommand({ UserName: bothUser, PermissionsBoundary: arn }));

    expect(await entityNames(arn, 'PermissionsPolicy')).toEqual([`role:${attachedRole}`, `user:${bothUser}`]);
    expect(await entityNames(arn, 'PermissionsBoundary')).toEqual([
      `role:${boundedRole}`,
      `user:${bothUser}`,
    ]);
    // No filter: both usages, each entity once.
    expect(await entityNames(arn)).toEqual([
      `role:${attachedRole}`,
      `role:${boundedRole}`,
      `user:${bothUser}`,
    ]);
    const roles = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn, EntityFilter: 'Role' }));
    expect(roles.PolicyUsers).toEqual([]);
    expect(roles.PolicyRoles?.map((r) => r.RoleName).sort()).toEqual([attachedRole, boundedRole].sort());
    // moto itself ignores the filter: it lists the attached entities as boundaries too.
    const fromMoto = await moto.send(
      new ListEntitiesForPolicyCommand({ PolicyArn: arn, PolicyUsageFilter: 'PermissionsBoundary' }),
    );
    expect(fromMoto.PolicyRoles?.map((r) => r.RoleName)).toEqual([attachedRole]);

    await iam.send(new DeleteUserPermissionsBoundaryCommand({ UserName: bothUser }));
    expect(await entityNames(arn, 'PermissionsBoundary')).toEqual([`role:${boundedRole}`]);
    expect(proxy.boundaries().get(arn)).toEqual([{ kind: 'role', name: boundedRole }]);
    expect(
      await failureOf(
        iam.send(
          new PutUserPermissionsBoundaryCommand({
            UserName: `nobody-${uniqueSuffix()}`,
            PermissionsBoundary: arn,
          }),
        ),
      ),
    ).toMatchObject({ status: 404 });
  });

  test('CreatePolicy is refused when the name exists in any case or path; concurrent spellings: one wins', async () => {
    const name = `Strict-Name-${uniqueSuffix()}`;
    await createPolicy(name, '/a/');
    for (const [other, path] of [
      [name.toLowerCase(), '/'],
      [name.toUpperCase(), '/b/'],
      [name, '/c/'],
    ]) {
      expect(await failureOf(createPolicy(other, path))).toMatchObject({
        name: 'EntityAlreadyExistsException',
        status: 409,
        message: `A policy called ${name} already exists. Duplicate names are not allowed.`,
      });
    }
    const race = `Race-${uniqueSuffix()}`;
    const spellings = [
      race,
      race.toLowerCase(),
      race.toUpperCase(),
      `${race.slice(0, 2).toLowerCase()}${race.slice(2)}`,
    ];
    const settled = await Promise.allSettled(spellings.map((spelling) => createPolicy(spelling)));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
  });

  test('documents over 6,144 characters without white space are LimitExceeded; white space is not counted', async () => {
    const actions = (count: number) =>
      Array.from({ length: count }, (_, i) => `s3:Get${String(i).padStart(6, '0')}`);
    const sized = (count: number, indent: number) =>
      JSON.stringify(
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions(count), Resource: '*' }] },
        null,
        indent,
      );
    const big = sized(500, 0);
    expect(big.length).toBeGreaterThan(6144);
    expect(
      await failureOf(
        iam.send(
          new CreatePolicyCommand({ PolicyName: `strict-big-${uniqueSuffix()}`, PolicyDocument: big }),
        ),
      ),
    ).toMatchObject({ name: 'LimitExceededException', status: 409 });
    // 300 actions fit; pretty-printed they are well over 6,144 characters with white space.
    const spacious = sized(300, 8);
    expect(spacious.length).toBeGreaterThan(6144);
    const { Policy } = await iam.send(
      new CreatePolicyCommand({ PolicyName: `strict-ok-${uniqueSuffix()}`, PolicyDocument: spacious }),
    );
    expect(
      await failureOf(
        iam.send(new CreatePolicyVersionCommand({ PolicyArn: Policy!.Arn!, PolicyDocument: big })),
      ),
    ).toMatchObject({ name: 'LimitExceededException' });
  });

  test('a policy holds at most 50 tags, those it has counted with a TagPolicy (moto counts the request only)', async () => {
    const tags = (count: number, prefix = 'k') =>
      Array.from({ length: count }, (_, i) => ({ Key: `${prefix}${i}`, Value: 'v' }));
    expect(
      await failureOf(
        iam.send(
          new CreatePolicyCommand({
            PolicyName: `strict-tags-${uniqueSuffix()}`,
            PolicyDocument: document(),
            Tags: tags(51),
          }),
        ),
      ),
    ).toMatchObject({ name: 'LimitExceededException', status: 409 });
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: `strict-tags-${uniqueSuffix()}`,
        PolicyDocument: document(),
        Tags: tags(48),
      }),
    );
    const arn = Policy!.Arn!;
    // moto alone takes a 49th, 50th and 51st tag: each request holds fewer than 50.
    const refused = await failureOf(iam.send(new TagPolicyCommand({ PolicyArn: arn, Tags: tags(3, 'x') })));
    expect(refused).toMatchObject({
      name: 'LimitExceededException',
      message: 'Cannot exceed quota for TagsPerPolicy: 50',
    });
    // Tags it has already (in any case) count once; up to 50 are taken.
    await iam.send(
      new TagPolicyCommand({ PolicyArn: arn, Tags: [{ Key: 'K0', Value: 'w' }, ...tags(2, 'x')] }),
    );
    const { Policy: tagged } = await moto.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(tagged?.Tags).toHaveLength(50);
    expect(
      await failureOf(iam.send(new TagPolicyCommand({ PolicyArn: arn, Tags: tags(1, 'y') }))),
    ).toMatchObject({ name: 'LimitExceededException' });
    await moto.send(new TagPolicyCommand({ PolicyArn: arn, Tags: tags(1, 'y') }));
    const { Policy: overfull } = await moto.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(overfull?.Tags).toHaveLength(51);
  });

  test('above 100 roles moto forgets some attachments; the strict proxy does not', async () => {
    const own = await startMoto();
    const ownProxy = await startIamProxy(own.address, { strict: true });
    try {
      const direct = iamAt(own.address);
      const arn = (
        await direct.send(new CreatePolicyCommand({ PolicyName: 'many-roles', PolicyDocument: document() }))
      ).Policy!.Arn!;
      const roles = Array.from({ length: 101 }, (_, i) => `role-${i}`);
      for (const role of roles) {
        await direct.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }));
        await direct.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
      }
      const fromMoto = await direct.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
      expect(fromMoto.PolicyRoles).toHaveLength(100);
      const strict = await iamAt(ownProxy.endpoint).send(
        new ListEntitiesForPolicyCommand({ PolicyArn: arn }),
      );
      expect(strict.PolicyRoles).toHaveLength(101);
    } finally {
      await ownProxy.close();
      await own.stop();
    }
  });
});

describe('faults', () => {
  test('throttling: a share of requests, or every request of named actions, as IAM sends it', async () => {
    proxy.setFaults({ throttleActions: ['GetPolicy'] });
    const arn = await createPolicy(`fault-thr-${uniqueSuffix()}`);
    expect(await failureOf(iam.send(new GetPolicyCommand({ PolicyArn: arn })))).toMatchObject({
      name: 'Throttling',
      status: 400,
      message: 'Rate exceeded',
    });
    proxy.setFaults({ throttleRate: 0.5 });
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => iam.send(new GetPolicyCommand({ PolicyArn: arn }))),
    );
    const throttled = results.filter((r) => r.status === 'rejected').length;
    expect(throttled).toBeGreaterThan(5);
    expect(throttled).toBeLessThan(35);
    expect(proxy.faultCounts().throttled).toBe(throttled + 1);
    expect(proxy.countsByAction()).toMatchObject({ CreatePolicy: 1, GetPolicy: 41 });
  });

  test('server errors are 500 or 503 and never reach moto', async () => {
    proxy.setFaults({ serverErrorRate: 1 });
    const name = `fault-5xx-${uniqueSuffix()}`;
    const statuses = new Set<number | undefined>();
    for (let i = 0; i < 12; i += 1) statuses.add((await failureOf(createPolicy(name))).status);
    expect([...statuses].sort()).toEqual([500, 503]);
    proxy.setFaults(undefined);
    await createPolicy(name);
  });

  test('dropped connections: before moto (nothing done) or after (done, answer lost)', async () => {
    proxy.setFaults({ dropRate: 1, actions: ['CreatePolicy'] });
    const names = Array.from({ length: 16 }, () => `fault-drop-${uniqueSuffix()}`);
    for (const name of names) expect((await failureOf(createPolicy(name))).status).toBeUndefined();
    const { 'dropped-before': before, 'dropped-after': after } = proxy.faultCounts();
    expect(before + after).toBe(16);
    expect(before).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(0);
    const exists = await Promise.all(
      names.map((name) =>
        moto.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::123456789012:policy/${name}` })).then(
          () => true,
          () => false,
        ),
      ),
    );
    expect(exists.filter(Boolean)).toHaveLength(after);
  });

  test('latency is added, and an outage cuts every connection for its window', async () => {
    const arn = await createPolicy(`fault-out-${uniqueSuffix()}`);
    proxy.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    proxy.setFaults(undefined);
    proxy.startOutage(500);
    expect((await failureOf(iam.send(new GetPolicyCommand({ PolicyArn: arn })))).status).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 600));
    await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(proxy.faultCounts()).toMatchObject({ outage: 1, delayed: 1 });
    expect(proxy.requests.map((r) => r.fault ?? '-')).toEqual(['-', 'delayed', 'outage', '-']);
  });
});

describe('consistency (lagging replicas, lost answers, a racing attacher)', () => {
  // Long enough that the reads right after a write come within it on a busy machine too (2 s was not,
  // once, in a loaded CI run).
  const LAG_MS = 3000;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const pastTheLag = () => pause(LAG_MS + 200);
  const defaultOf = async (arn: string) =>
    (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId;

  test('after each write to a policy, its reads answer the state from before it for lagMs; other policies are current', async () => {
    proxy.setConsistency({ lagMs: LAG_MS });
    const name = `lag-${uniqueSuffix()}`;
    const arn = await createPolicy(name);
    // Right after CreatePolicy: not there yet.
    expect(await failureOf(iam.send(new GetPolicyCommand({ PolicyArn: arn })))).toMatchObject({
      status: 404,
    });
    await pastTheLag();
    expect(await defaultOf(arn)).toBe('v1');

    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: document('s3:B'),
        SetAsDefault: true,
      }),
    );
    // The old default, the old version list, and no v2 yet.
    expect(await defaultOf(arn)).toBe('v1');
    const { Versions } = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    expect(Versions?.map((v) => v.VersionId)).toEqual(['v1']);
    expect(
      await failureOf(iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }))),
    ).toMatchObject({ status: 404 });
    // The control plane (moto) has it, and a policy not written lately is current.
    expect((await moto.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId).toBe('v2');
    await pastTheLag();
    expect(await defaultOf(arn)).toBe('v2');

    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    // Still there for a while after DeletePolicy.
    expect(await defaultOf(arn)).toBe('v2');
    await pastTheLag();
    expect(await failureOf(iam.send(new GetPolicyCommand({ PolicyArn: arn })))).toMatchObject({
      status: 404,
    });
    expect(proxy.staleReads()).toBe(5);
  });

  test('ListPolicies, ListEntitiesForPolicy, GetPolicy tags and usage counts lag too: created, tagged, attached, bounded, deleted', async () => {
    proxy.setConsistency({ lagMs: LAG_MS });
    const name = `lag-list-${uniqueSuffix()}`;
    const listed = async () => {
      const names: string[] = [];
      for await (const page of paginateListPolicies({ client: iam, pageSize: 1000 }, { Scope: 'Local' })) {
        names.push(...(page.Policies ?? []).map((policy) => policy.PolicyName ?? ''));
      }
      return names.filter((listedName) => listedName === name);
    };
    const policyNow = async (arn: string) =>
      (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    const arn = await createPolicy(name);
    // The control plane has it, the replicas' listing not yet.
    expect(await listed()).toEqual([]);
    await pastTheLag();
    expect(await listed()).toEqual([name]);

    await iam.send(new TagPolicyCommand({ PolicyArn: arn, Tags: [{ Key: 'team', Value: 'a' }] }));
    expect((await policyNow(arn))?.Tags ?? []).toEqual([]);
    await pastTheLag();
    expect((await policyNow(arn))?.Tags).toEqual([{ Key: 'team', Value: 'a' }]);

    const attached = `lag-attached-${uniqueSuffix()}`;
    const bounded = `lag-bounded-${uniqueSuffix()}`;
    for (const role of [attached, bounded]) {
      await moto.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }));
    }
    await iam.send(new AttachRolePolicyCommand({ RoleName: attached, PolicyArn: arn }));
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: bounded, PermissionsBoundary: arn }));
    // Nobody uses it, as far as the reads know.
    expect(await entityNames(arn)).toEqual([]);
    expect(await entityNames(arn, 'PermissionsBoundary')).toEqual([]);
    expect(await policyNow(arn)).toMatchObject({ AttachmentCount: 0, PermissionsBoundaryUsageCount: 0 });
    // The control plane knows: DeletePolicy is refused.
    expect(await failureOf(iam.send(new DeletePolicyCommand({ PolicyArn: arn })))).toMatchObject({
      name: 'DeleteConflictException',
    });
    await pastTheLag();
    expect(await entityNames(arn, 'PermissionsPolicy')).toEqual([`role:${attached}`]);
    expect(await entityNames(arn, 'PermissionsBoundary')).toEqual([`role:${bounded}`]);
    expect(await policyNow(arn)).toMatchObject({ AttachmentCount: 1, PermissionsBoundaryUsageCount: 1 });

    // Still used, as far as the reads right after each write know (each read follows its own write, so
    // that a slow second write cannot let the first one's lag run out); an EntityFilter applies to the
    // older answer too.
    const rolesUsing = async () =>
      (
        await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn, EntityFilter: 'Role' }))
      ).PolicyRoles?.map((role) => role.RoleName);
    await iam.send(new DetachRolePolicyCommand({ RoleName: attached, PolicyArn: arn }));
    expect((await rolesUsing())?.sort()).toEqual([attached, bounded].sort());
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: bounded }));
    expect(await rolesUsing()).toContain(bounded);
    await pastTheLag();
    expect(await entityNames(arn)).toEqual([]);

    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    // Deleted, and still listed for a while.
    expect(await listed()).toEqual([name]);
    await pastTheLag();
    expect(await listed()).toEqual([]);
  });

  test('a lost answer: IAM applied the write, the caller sees a cut connection', async () => {
    const name = `lost-${uniqueSuffix()}`;
    const arn = await createPolicy(name);
    proxy.loseAnswers({ action: 'CreatePolicyVersion', policyName: name });
    const failure = await failureOf(
      iam.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: document('s3:C'),
          SetAsDefault: true,
        }),
      ),
    );
    expect(failure.status).toBeUndefined();
    expect((await moto.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId).toBe('v2');
    // Only once: the next answer arrives.
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: document('s3:D'),
        SetAsDefault: true,
      }),
    );
  });

  test('a racing attacher attaches its role just before the named request is handled', async () => {
    const name = `race-${uniqueSuffix()}`;
    const arn = await createPolicy(name);
    const role = `racer-${uniqueSuffix()}`;
    await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }));
    proxy.raceAttach({ policyName: name, roleName: role, before: 'DeletePolicy' });
    expect(await entityNames(arn)).toEqual([]);
    expect(await failureOf(iam.send(new DeletePolicyCommand({ PolicyArn: arn })))).toMatchObject({
      name: 'DeleteConflictException',
    });
    expect(await entityNames(arn)).toEqual([`role:${role}`]);
  });
});
