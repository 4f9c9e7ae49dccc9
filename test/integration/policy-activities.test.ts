// The policy activities against a real moto, directly (no worker): every row of the contract that
// touches IAM, the retries after a crash, and, through a recording proxy, the real-IAM behaviour moto
// lacks and the IAM call counts the service promises.
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  ListPolicyVersionsCommand,
  paginateListPolicies,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { ApplicationFailure } from '@temporalio/common';
import { createPolicyActivities, type PolicyActivities } from '../../src/activities/policy-activities';
import { UNUSED_FRESH_MS } from '../../src/iam/writes';
import { decide, observationInput, type CreatePlan } from '../../src/domain/decide';
import { DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import type { WriteResult } from '../../src/messages/activity-contracts';
import type { PolicyDocument, PolicyEvent } from '../../src/domain/types';
import { createAccountIdResolver } from '../../src/iam/account';
import { createIamClient, createStsClient } from '../../src/iam/client';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { iamErrorResponse, startIamProxy, urlEncodeDocuments, type IamProxy } from '../../harness/iam-proxy';

const ACCOUNT_ID = '123456789012';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const managedByTag = { key: 'managed-by', value: 'iam-policy-events' };

const motoEndpoint = testIamEndpoint();
/** Sets up and checks IAM state behind the activities' back. */
const admin = createIamClient({ endpoint: motoEndpoint, credentials });

function activitiesAt(endpoint: string, maxAttempts?: number): PolicyActivities {
  const iam = createIamClient({ endpoint, credentials, ...(maxAttempts ? { maxAttempts } : {}) });
  return createPolicyActivities({ iam, accountId: () => Promise.resolve(ACCOUNT_ID), managedByTag });
}

const activities = activitiesAt(motoEndpoint);

let proxy: IamProxy;
let viaProxy: PolicyActivities;
beforeEach(async () => {
  proxy = await startIamProxy(motoEndpoint);
  viaProxy = activitiesAt(proxy.endpoint);
});
afterEach(() => proxy.close());

function documentFor(...actions: string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: actions.length === 1 ? actions[0] : actions, Resource: '*' }],
  };
}

const readDocument = documentFor('s3:GetObject', 's3:ListBucket');

function upsert(policyName: string, overrides: Partial<PolicyEvent> = {}): PolicyEvent {
  return {
    source: 'test',
    id: uniqueSuffix(),
    type: 'iam.policy.upsert',
    policyName,
    path: '/',
    document: readDocument,
    ...overrides,
  };
}

function deletion(policyName: string, overrides: Partial<PolicyEvent> = {}): PolicyEvent {
  return {
    source: 'test',
    id: uniqueSuffix(),
    type: 'iam.policy.delete',
    policyName,
    path: '/',
    ...overrides,
  };
}

/** What the policy workflow does with one event: observe, decide, act. */
async function processEvent(acts: PolicyActivities, event: PolicyEvent): Promise<WriteResult> {
  const decision = decide(event, await acts.inspectPolicy(observationInput(event)));
  if (decision.kind === 'none') {
    const { outcome, reason, policyArn, versionId, entities, notes } = decision;
    const optional = { reason, policyArn, versionId, entities, notes };
    const present = Object.entries(optional).filter(([, value]) => value !== undefined);
    return { outcome, ...Object.fromEntries(present), actions: [] };
  }
  return acts.applyPlan(decision);
}

/** The observation of an upsert of `policyName` at /. */
function observeUpsert(acts: PolicyActivities, policyName: string) {
  return acts.inspectPolicy({ policyName, path: '/', readDocument: true, listEntities: false });
}

function arnOf(policyName: string, path = '/'): string {
  return `arn:aws:iam::${ACCOUNT_ID}:policy${path}${policyName}`;
}

async function versionsOf(policyArn: string): Promise<{ id: string; isDefault: boolean }[]> {
  const { Versions = [] } = await admin.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }));
  return Versions.map((v) => ({ id: v.VersionId ?? '', isDefault: v.IsDefaultVersion === true })).sort(
    (a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)),
  );
}

async function tagsOf(policyArn: string): Promise<Record<string, string>> {
  const { Policy: policy } = await admin.send(new GetPolicyCommand({ PolicyArn: policyArn }));
  return Object.fromEntries((policy?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

async function policyExists(policyArn: string): Promise<boolean> {
  try {
    await admin.send(new GetPolicyCommand({ PolicyArn: policyArn }));
    return true;
  } catch {
    return false;
  }
}

async function policiesNamedIgnoringCase(policyName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListPolicies({ client: admin }, { Scope: 'Local' })) {
    for (const policy of page.Policies ?? []) {
      if (policy.PolicyName?.toLowerCase() === policyName.toLowerCase()) names.push(policy.Arn ?? '');
    }
  }
  return names;
}

/** A policy someone else made: no managed-by tag. */
async function createForeignPolicy(policyName: string): Promise<string> {
  const { Policy: policy } = await admin.send(
    new CreatePolicyCommand({ PolicyName: policyName, PolicyDocument: JSON.stringify(readDocument) }),
  );
  return policy?.Arn ?? '';
}

async function createManaged(policyName: string, overrides: Partial<PolicyEvent> = {}): Promise<string> {
  const result = await processEvent(activities, upsert(policyName, overrides));
  expect(result.outcome).toBe('created');
  return result.policyArn ?? '';
}

function entitiesXml(roles: string[], users: string[] = [], next?: string): string {
  const members = (names: string[], field: string) =>
    names
      .map(
        (name) =>
          `<member><${field}>${name}</${field}><${field.replace('Name', 'Id')}>ID${name}</${field.replace('Name', 'Id')}></member>`,
      )
      .join('');
  return (
    '<ListEntitiesForPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListEntitiesForPolicyResult>' +
    `<PolicyRoles>${members(roles, 'RoleName')}</PolicyRoles><PolicyGroups/><PolicyUsers>${members(users, 'UserName')}</PolicyUsers>` +
    (next ? `<IsTruncated>true</IsTruncated><Marker>${next}</Marker>` : '<IsTruncated>false</IsTruncated>') +
    '</ListEntitiesForPolicyResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListEntitiesForPolicyResponse>'
  );
}

const assumeRolePolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

describe('upsert', () => {
  test('absent policy is created with the managed-by tag, description and tags, in 3 IAM calls', async () => {
    const name = `create-${uniqueSuffix()}`;
    const result = await processEvent(
      viaProxy,
      upsert(name, { path: '/teams/', description: 'Team A readers', tags: { team: 'a' } }),
    );
    expect(result).toEqual({
      outcome: 'created',
      policyArn: arnOf(name, '/teams/'),
      versionId: 'v1',
      actions: [{ action: 'CreatePolicy', versionId: 'v1' }],
    });
    expect(proxy.actions()).toEqual(['GetPolicy', 'ListPolicies', 'CreatePolicy']);
    const { Policy: policy } = await admin.send(new GetPolicyCommand({ PolicyArn: arnOf(name, '/teams/') }));
    expect(policy?.Description).toBe('Team A readers');
    expect(await tagsOf(arnOf(name, '/teams/'))).toEqual({ team: 'a', 'managed-by': 'iam-policy-events' });
  });

  test('same content, reformatted and reordered, is unchanged in 2 IAM reads', async () => {
    const name = `unchanged-${uniqueSuffix()}`;
    await createManaged(name, { tags: { team: 'a' } });
    const reordered: PolicyDocument = {
      Statement: { Resource: ['*'], Action: ['s3:ListBucket', 's3:GetObject'], Effect: 'Allow' },
      Version: '2012-10-17',
    };
    const result = await processEvent(viaProxy, upsert(name, { document: reordered, tags: { team: 'a' } }));
    expect(result).toEqual({ outcome: 'unchanged', policyArn: arnOf(name), versionId: 'v1', actions: [] });
    expect(proxy.actions()).toEqual(['GetPolicy', 'GetPolicyVersion']);
  });

  test('other content makes a new default version', async () => {
    const name = `update-${uniqueSuffix()}`;
    await createManaged(name);
    const changed = documentFor('s3:PutObject');
    const result = await processEvent(activities, upsert(name, { document: changed }));
    expect(result).toEqual({
      outcome: 'updated',
      policyArn: arnOf(name),
      versionId: 'v2',
      actions: [{ action: 'CreatePolicyVersion', versionId: 'v2' }],
    });
    expect(await versionsOf(arnOf(name))).toEqual([
      { id: 'v1', isDefault: false },
      { id: 'v2', isDefault: true },
    ]);
  });

  test('changed tags are set and removed, without a new version; managed-by stays', async () => {
    const name = `tags-${uniqueSuffix()}`;
    await createManaged(name, { tags: { team: 'a', env: 'dev' } });
    const result = await processEvent(activities, upsert(name, { tags: { team: 'b', cost: '42' } }));
    expect(result).toEqual({
      outcome: 'updated',
      policyArn: arnOf(name),
      versionId: 'v1',
      actions: [
        { action: 'UntagPolicy', detail: 'env' },
        { action: 'TagPolicy', detail: 'team, cost' },
      ],
    });
    expect(await tagsOf(arnOf(name))).toEqual({ team: 'b', cost: '42', 'managed-by': 'iam-policy-events' });
    expect(await versionsOf(arnOf(name))).toHaveLength(1);
  });

  test('a different description is a note, never a write', async () => {
    const name = `descr-${uniqueSuffix()}`;
    await createManaged(name, { description: 'old' });
    const result = await processEvent(activities, upsert(name, { description: 'new' }));
    expect(result.outcome).toBe('unchanged');
    expect(result.notes).toEqual([expect.stringContaining('IAM policy descriptions are immutable')]);
  });

  test('a name differing only in case is the same policy', async () => {
    const name = `Case-${uniqueSuffix()}`;
    await createManaged(name);
    const same = await processEvent(activities, upsert(name.toLowerCase()));
    expect(same).toMatchObject({ outcome: 'unchanged', policyArn: arnOf(name) });
    const changed = await processEvent(
      activities,
      upsert(name.toUpperCase(), { document: documentFor('s3:*') }),
    );
    expect(changed).toMatchObject({ outcome: 'updated', policyArn: arnOf(name), versionId: 'v2' });
    expect(await policiesNamedIgnoringCase(name)).toEqual([arnOf(name)]);
  });

  test('a policy without the managed-by tag is rejected and left untouched', async () => {
    const name = `foreign-${uniqueSuffix()}`;
    const arn = await createForeignPolicy(name);
    const result = await processEvent(
      activities,
      upsert(name, { document: documentFor('s3:*'), tags: { a: 'b' } }),
    );
    expect(result).toMatchObject({
      outcome: 'rejected',
      reason: `policy ${name} is not managed by this service (no managed-by tag); it is left untouched`,
    });
    expect(await versionsOf(arn)).toHaveLength(1);
    expect(await tagsOf(arn)).toEqual({});
  });

  test('a policy at another path is rejected, naming both paths', async () => {
    const name = `path-${uniqueSuffix()}`;
    await createManaged(name, { path: '/team-a/' });
    const result = await processEvent(activities, upsert(name, { document: documentFor('s3:*') }));
    expect(result.outcome).toBe('rejected');
    expect(result.reason).toContain('/team-a/');
    expect(result.reason).toContain('path /');
    expect(await versionsOf(arnOf(name, '/team-a/'))).toHaveLength(1);
    expect(await policyExists(arnOf(name))).toBe(false);
  });

  test('six updates never make more than five versions: the oldest non-default is pruned first', async () => {
    const name = `limit-${uniqueSuffix()}`;
    await createManaged(name);
    const results: WriteResult[] = [];
    const calls: string[][] = [];
    for (let update = 1; update <= 6; update += 1) {
      proxy.clearRequests();
      results.push(
        await processEvent(viaProxy, upsert(name, { document: documentFor(`s3:Action${update}`) })),
      );
      calls.push(proxy.actions());
      expect((await versionsOf(arnOf(name))).length).toBeLessThanOrEqual(5);
    }
    // The older versions' documents are never read: 4 calls per update, 6 at the limit (the pruned
    // version's audit tag is removed before it). The audit tag of the new version is set only for a write
    // that names its event, as the policy workflow's do (test/e2e/audit-trail.test.ts): not here.
    const observe = ['GetPolicy', 'GetPolicyVersion'];
    expect(calls[3]).toEqual([...observe, 'ListPolicyVersions', 'CreatePolicyVersion']);
    expect(calls[5]).toEqual([
      ...observe,
      'ListPolicyVersions',
      'UntagPolicy',
      'DeletePolicyVersion',
      'CreatePolicyVersion',
    ]);
    expect(results.map((result) => result.versionId)).toEqual(['v2', 'v3', 'v4', 'v5', 'v6', 'v7']);
    expect(results[4]?.actions).toEqual([
      { action: 'UntagPolicy', versionId: 'v1', detail: 'iam-policy-events:v1' },
      { action: 'DeletePolicyVersion', versionId: 'v1' },
      { action: 'CreatePolicyVersion', versionId: 'v6' },
    ]);
    expect(results[5]?.actions).toEqual([
      { action: 'UntagPolicy', versionId: 'v2', detail: 'iam-policy-events:v2' },
      { action: 'DeletePolicyVersion', versionId: 'v2' },
      { action: 'CreatePolicyVersion', versionId: 'v7' },
    ]);
    expect((await versionsOf(arnOf(name))).map((version) => version.id)).toEqual([
      'v3',
      'v4',
      'v5',
      'v6',
      'v7',
    ]);
    // One request per version: no LimitExceeded was ever met and retried.
    expect(calls.flat().filter((action) => action === 'CreatePolicyVersion')).toHaveLength(6);
  });

  test('URL-encoded documents, as real IAM returns them, compare equal', async () => {
    const name = `encoded-${uniqueSuffix()}`;
    const document: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::bucket/a b+c/*',
          Condition: { StringEquals: { 'aws:PrincipalTag/team': "R&D <ops> 100% 'x'" } },
        },
      ],
    };
    await createManaged(name, { document });
    let encodedBody = '';
    proxy.addRule({
      action: 'GetPolicyVersion',
      respond: async (_request, forward) => {
        const encoded = urlEncodeDocuments(await forward());
        encodedBody = encoded.body;
        return encoded;
      },
    });
    const result = await processEvent(viaProxy, upsert(name, { document }));
    expect(result.outcome).toBe('unchanged');
    expect(encodedBody).toContain('<Document>%7B%22Version%22');
  });

  test('CreatePolicy meeting a name taken in another case (EntityAlreadyExists) is rejected', async () => {
    const name = `Taken-${uniqueSuffix()}`;
    // Observed absent, then someone else creates the other spelling before the write.
    const plan = decide(upsert(name), await observeUpsert(activities, name)) as CreatePlan;
    expect(plan.kind).toBe('create');
    const otherArn = await createForeignPolicy(name.toUpperCase());
    proxy.addRule({
      action: 'CreatePolicy',
      when: (params) => params.PolicyName?.toLowerCase() === name.toLowerCase(),
      respond: () =>
        iamErrorResponse(
          'EntityAlreadyExists',
          `A policy called ${name} already exists. Duplicate names are not allowed.`,
          409,
        ),
    });
    const result = await viaProxy.applyPlan(plan);
    expect(result).toMatchObject({ outcome: 'rejected', policyArn: otherArn, actions: [] });
    expect(result.reason).toContain(name.toUpperCase());
    expect(result.reason).toContain('not managed by this service');
    expect(await policiesNamedIgnoringCase(name)).toEqual([otherArn]);
  });
});

describe('delete', () => {
  test('absent policy is absent, nothing written', async () => {
    const result = await processEvent(viaProxy, deletion(`never-${uniqueSuffix()}`));
    expect(result).toEqual({ outcome: 'absent', actions: [] });
    expect(proxy.actions()).toEqual(['GetPolicy', 'ListPolicies']);
  });

  test('unattached policy: non-default versions are deleted first, then the policy', async () => {
    const name = `delete-${uniqueSuffix()}`;
    await createManaged(name);
    await processEvent(activities, upsert(name, { document: documentFor('s3:A') }));
    await processEvent(activities, upsert(name, { document: documentFor('s3:B') }));
    const result = await processEvent(viaProxy, deletion(name));
    expect(result).toEqual({
      outcome: 'deleted',
      policyArn: arnOf(name),
      actions: [
        { action: 'DeletePolicyVersion', versionId: 'v1' },
        { action: 'DeletePolicyVersion', versionId: 'v2' },
        { action: 'DeletePolicy' },
      ],
    });
    expect(await policyExists(arnOf(name))).toBe(false);
    // Both usages are asked for, before any write.
    const usageFilters = proxy.requests
      .filter((request) => request.action === 'ListEntitiesForPolicy')
      .map((request) => request.params.PolicyUsageFilter);
    expect(usageFilters).toEqual(['PermissionsPolicy', 'PermissionsBoundary']);
    const writes = proxy.actions().filter((action) => action.startsWith('Delete'));
    expect(writes).toEqual(['DeletePolicyVersion', 'DeletePolicyVersion', 'DeletePolicy']);
  });

  const attachments: [string, (entity: string, arn: string) => Promise<unknown>][] = [
    [
      'user',
      async (user, arn) => {
        await admin.send(new CreateUserCommand({ UserName: user }));
        await admin.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: arn }));
      },
    ],
    [
      'group',
      async (group, arn) => {
        await admin.send(new CreateGroupCommand({ GroupName: group }));
        await admin.send(new AttachGroupPolicyCommand({ GroupName: group, PolicyArn: arn }));
      },
    ],
    [
      'role',
      async (role, arn) => {
        await admin.send(
          new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: assumeRolePolicy }),
        );
        await admin.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
      },
    ],
  ];

  test.each(attachments)('attached to a %s: retained-in-use, nothing deleted', async (kind, attach) => {
    const name = `in-use-${kind}-${uniqueSuffix()}`;
    const arn = await createManaged(name);
    await processEvent(activities, upsert(name, { document: documentFor('s3:A') }));
    const entity = `${kind}-${uniqueSuffix()}`;
    await attach(entity, arn);
    const result = await processEvent(activities, deletion(name));
    expect(result).toMatchObject({ outcome: 'retained-in-use', policyArn: arn, actions: [] });
    expect(result.entities).toContainEqual({ kind, name: entity, usage: 'permissions-policy' });
    expect(await versionsOf(arn)).toHaveLength(2);
  });

  test("used as a role's permissions boundary: retained-in-use, found by asking for PermissionsBoundary", async () => {
    const name = `boundary-${uniqueSuffix()}`;
    const arn = await createManaged(name);
    await processEvent(activities, upsert(name, { document: documentFor('s3:A') }));
    const role = `bounded-${uniqueSuffix()}`;
    await admin.send(
      new CreateRoleCommand({
        RoleName: role,
        AssumeRolePolicyDocument: assumeRolePolicy,
        PermissionsBoundary: arn,
      }),
    );
    // moto does not track boundaries in ListEntitiesForPolicy; answer as real IAM does.
    proxy.addRule({
      action: 'ListEntitiesForPolicy',
      when: (params) => params.PolicyUsageFilter === 'PermissionsBoundary' && params.PolicyArn === arn,
      respond: () => ({ status: 200, body: entitiesXml([role]) }),
    });
    const result = await processEvent(viaProxy, deletion(name));
    expect(result).toEqual({
      outcome: 'retained-in-use',
      policyArn: arn,
      entities: [{ kind: 'role', name: role, usage: 'permissions-boundary' }],
      actions: [],
    });
    expect(await versionsOf(arn)).toHaveLength(2);
    expect(proxy.actions().filter((action) => action.startsWith('Delete'))).toEqual([]);
  });

  test('entities are followed across pages (Marker)', async () => {
    const name = `paged-${uniqueSuffix()}`;
    const arn = await createManaged(name);
    proxy.addRule({
      action: 'ListEntitiesForPolicy',
      when: (params) => params.PolicyUsageFilter === 'PermissionsPolicy' && params.Marker === undefined,
      respond: () => ({ status: 200, body: entitiesXml([], ['first-user'], 'page-2') }),
    });
    proxy.addRule({
      action: 'ListEntitiesForPolicy',
      when: (params) => params.PolicyUsageFilter === 'PermissionsPolicy' && params.Marker === 'page-2',
      respond: () => ({ status: 200, body: entitiesXml(['second-role']) }),
    });
    const result = await processEvent(viaProxy, deletion(name));
    expect(result.outcome).toBe('retained-in-use');
    expect(result.entities).toEqual([
      { kind: 'user', name: 'first-user', usage: 'permissions-policy' },
      { kind: 'role', name: 'second-role', usage: 'permissions-policy' },
    ]);
    expect(await policyExists(arn)).toBe(true);
  });

  test('a policy without the managed-by tag is rejected and not deleted', async () => {
    const name = `foreign-del-${uniqueSuffix()}`;
    const arn = await createForeignPolicy(name);
    const result = await processEvent(activities, deletion(name));
    expect(result).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining('not managed') as unknown,
    });
    expect(await policyExists(arn)).toBe(true);
  });

  test('a delete run long after its observation asks IAM again before deleting any version', async () => {
    const name = `stale-${uniqueSuffix()}`;
    const arn = await createManaged(name);
    await processEvent(activities, upsert(name, { document: documentFor('s3:A') }));
    const event = deletion(name);
    const plan = decide(event, await activities.inspectPolicy(observationInput(event)));
    if (plan.kind !== 'delete') throw new Error(`expected a delete plan, got ${plan.kind}`);
    // Attached after the observation; moto would not refuse the delete, so only asking again saves it.
    const user = `later-${uniqueSuffix()}`;
    await admin.send(new CreateUserCommand({ UserName: user }));
    await admin.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: arn }));
    const result = await viaProxy.applyPlan({ ...plan, unusedSince: Date.now() - UNUSED_FRESH_MS - 1 });
    expect(result).toMatchObject({ outcome: 'retained-in-use', policyArn: arn, actions: [] });
    // moto ignores PolicyUsageFilter and lists the user as a boundary too; real IAM would not.
    expect(result.entities).toContainEqual({ kind: 'user', name: user, usage: 'permissions-policy' });
    expect(proxy.actions()).toEqual(['ListEntitiesForPolicy', 'ListEntitiesForPolicy']);
    expect(await versionsOf(arn)).toHaveLength(2);
  });

  test('DeleteConflict at DeletePolicy (attached in between): retained-in-use with the entity', async () => {
    const name = `conflict-${uniqueSuffix()}`;
    const arn = await createManaged(name);
    const user = `late-${uniqueSuffix()}`;
    proxy.addRule({
      action: 'DeletePolicy',
      respond: async () => {
        // Someone attaches the policy after the check; real IAM then refuses the delete.
        await admin.send(new CreateUserCommand({ UserName: user }));
        await admin.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: arn }));
        return iamErrorResponse('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
      },
    });
    const result = await processEvent(viaProxy, deletion(name));
    expect(result).toMatchObject({ outcome: 'retained-in-use', policyArn: arn, actions: [] });
    expect(result.entities).toContainEqual({ kind: 'user', name: user, usage: 'permissions-policy' });
    expect(await policyExists(arn)).toBe(true);
  });
});

describe('retry after a crash', () => {
  test('create done but not reported: the second attempt is created too, one policy', async () => {
    const name = `retry-create-${uniqueSuffix()}`;
    const plan = decide(upsert(name, { tags: { team: 'a' } }), await observeUpsert(activities, name));
    if (plan.kind !== 'create') throw new Error(`expected a create plan, got ${plan.kind}`);
    const first = await activities.applyPlan(plan);
    const second = await activities.applyPlan(plan);
    expect(first).toMatchObject({ outcome: 'created', versionId: 'v1' });
    expect(second).toMatchObject({ outcome: 'created', policyArn: arnOf(name), versionId: 'v1' });
    expect(second.actions).toEqual([
      { action: 'CreatePolicy', versionId: 'v1', detail: 'made by an earlier attempt whose result was lost' },
    ]);
    expect(await policiesNamedIgnoringCase(name)).toEqual([arnOf(name)]);
  });

  test('version created but not reported: the same update twice makes one version', async () => {
    const name = `retry-update-${uniqueSuffix()}`;
    await createManaged(name);
    const event = upsert(name, { document: documentFor('s3:PutObject') });
    const plan = decide(event, await observeUpsert(activities, name));
    if (plan.kind !== 'update') throw new Error(`expected an update plan, got ${plan.kind}`);
    const first = await activities.applyPlan(plan);
    const second = await viaProxy.applyPlan(plan);
    expect(first).toMatchObject({ outcome: 'updated', versionId: 'v2' });
    expect(second).toMatchObject({ outcome: 'updated', versionId: 'v2', actions: [] });
    expect(second.notes).toEqual([expect.stringContaining('earlier attempt')]);
    expect(await versionsOf(arnOf(name))).toHaveLength(2);
    expect(proxy.actions()).toEqual(['ListPolicyVersions', 'GetPolicyVersion']);
  });

  test('version created but not made default: SetDefaultPolicyVersion, no new version', async () => {
    const name = `retry-default-${uniqueSuffix()}`;
    const arn = await createManaged(name);
    const wanted = documentFor('s3:PutObject');
    await admin.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: JSON.stringify(wanted),
        SetAsDefault: false,
      }),
    );
    const result = await processEvent(activities, upsert(name, { document: wanted }));
    expect(result).toEqual({
      outcome: 'updated',
      policyArn: arn,
      versionId: 'v2',
      actions: [{ action: 'SetDefaultPolicyVersion', versionId: 'v2' }],
    });
    expect(await versionsOf(arn)).toEqual([
      { id: 'v1', isDefault: false },
      { id: 'v2', isDefault: true },
    ]);
  });

  test('update interrupted after pruning: one new version, nothing more pruned', async () => {
    const name = `retry-prune-${uniqueSuffix()}`;
    const arn = await createManaged(name);
    for (const action of ['s3:A', 's3:B', 's3:C', 's3:D']) {
      await processEvent(activities, upsert(name, { document: documentFor(action) }));
    }
    const event = upsert(name, { document: documentFor('s3:E') });
    const plan = decide(event, await observeUpsert(activities, name));
    if (plan.kind !== 'update') throw new Error(`expected an update plan, got ${plan.kind}`);
    // The first attempt pruned v1, then crashed before CreatePolicyVersion.
    await admin.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    const result = await activities.applyPlan(plan);
    expect(result).toMatchObject({ outcome: 'updated', versionId: 'v6' });
    expect(result.actions).toEqual([{ action: 'CreatePolicyVersion', versionId: 'v6' }]);
    expect((await versionsOf(arn)).map((version) => version.id)).toEqual(['v2', 'v3', 'v4', 'v5', 'v6']);
  });

  test('delete interrupted after the version deletes: deleted', async () => {
    const name = `retry-delete-${uniqueSuffix()}`;
    const arn = await createManaged(name);
    await processEvent(activities, upsert(name, { document: documentFor('s3:A') }));
    await processEvent(activities, upsert(name, { document: documentFor('s3:B') }));
    const event = deletion(name);
    const plan = decide(event, await activities.inspectPolicy(observationInput(event)));
    if (plan.kind !== 'delete') throw new Error(`expected a delete plan, got ${plan.kind}`);
    await admin.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    await admin.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));
    const result = await activities.applyPlan(plan);
    expect(result).toEqual({ outcome: 'deleted', policyArn: arn, actions: [{ action: 'DeletePolicy' }] });
    expect(await policyExists(arn)).toBe(false);
  });

  test('delete done but not reported: the second attempt is deleted, nothing written', async () => {
    const name = `retry-gone-${uniqueSuffix()}`;
    const arn = await createManaged(name);
    const plan = { kind: 'delete', policyArn: arn } as const;
    expect(await activities.applyPlan(plan)).toMatchObject({ outcome: 'deleted' });
    expect(await viaProxy.applyPlan(plan)).toEqual({ outcome: 'deleted', policyArn: arn, actions: [] });
    expect(proxy.actions().filter((action) => action.startsWith('Delete'))).toEqual([]);
  });
});

describe('IAM errors', () => {
  test('a document IAM refuses is a non-retryable IamRejectedInput failure', async () => {
    const plan: CreatePlan = {
      kind: 'create',
      policyName: `malformed-${uniqueSuffix()}`,
      path: '/',
      document: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] },
      tags: {},
    };
    const failure = await activities.applyPlan(plan).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'IamRejectedInput', nonRetryable: true });
    expect((failure as Error).message).toContain('MalformedPolicyDocument');
  });

  test('AccessDenied is a non-retryable IamRequestRejected failure', async () => {
    proxy.addRule({
      action: 'GetPolicy',
      respond: () =>
        iamErrorResponse('AccessDenied', 'User is not authorized to perform: iam:GetPolicy', 403),
    });
    const failure = await viaProxy
      .inspectPolicy(observationInput(upsert(`denied-${uniqueSuffix()}`)))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'IamRequestRejected', nonRetryable: true });
  });

  test('throttling is thrown as it is, for Temporal to retry with backoff', async () => {
    proxy.addRule({
      action: 'GetPolicy',
      respond: () => iamErrorResponse('Throttling', 'Rate exceeded', 400),
    });
    const failure = await activitiesAt(proxy.endpoint, 1)
      .inspectPolicy(observationInput(upsert(`throttled-${uniqueSuffix()}`)))
      .catch((error: unknown) => error);
    expect(failure).not.toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ name: 'Throttling' });
  });

  test('server errors and network errors are thrown as they are', async () => {
    proxy.addRule({
      action: 'GetPolicy',
      respond: () => iamErrorResponse('ServiceFailure', 'internal', 500),
    });
    const input = observationInput(upsert(`flaky-${uniqueSuffix()}`));
    const serverError = await activitiesAt(proxy.endpoint, 1)
      .inspectPolicy(input)
      .catch((error: unknown) => error);
    expect(serverError).not.toBeInstanceOf(ApplicationFailure);
    expect(serverError).toMatchObject({ $metadata: { httpStatusCode: 500 } });
    const closed = await startIamProxy(motoEndpoint);
    await closed.close();
    const networkError = await activitiesAt(closed.endpoint, 1)
      .inspectPolicy(input)
      .catch((error: unknown) => error);
    expect(networkError).toBeInstanceOf(Error);
    expect(networkError).not.toBeInstanceOf(ApplicationFailure);
  });

  test('a policy deleted outside the service during an update is an IamConcurrentChange failure', async () => {
    const name = `vanished-${uniqueSuffix()}`;
    const arn = await createManaged(name);
    const failure = await activities
      .applyPlan({
        kind: 'update',
        policyArn: `${arn}-gone`,
        observedDefaultVersionId: 'v1',
        tagsToSet: { a: 'b' },
        tagKeysToRemove: [],
      })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ type: 'IamConcurrentChange', nonRetryable: true });
  });
});

describe('clients and account', () => {
  test('createIamClient honours AWS_ENDPOINT_URL_IAM', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_IAM;
    process.env.AWS_ENDPOINT_URL_IAM = proxy.endpoint;
    try {
      const iam: IAMClient = createIamClient({ credentials });
      const acts = createPolicyActivities({
        iam,
        accountId: () => Promise.resolve(ACCOUNT_ID),
        managedByTag,
      });
      const name = `env-${uniqueSuffix()}`;
      await expect(observeUpsert(acts, name)).resolves.toEqual({
        exists: false,
        guards: DEFAULT_POLICY_GUARDS,
      });
      expect(proxy.actions()).toEqual(['GetPolicy', 'ListPolicies']);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_IAM;
      else process.env.AWS_ENDPOINT_URL_IAM = saved;
    }
  });

  test('the account ID is asked of STS once, or not at all when configured', async () => {
    const sts = createStsClient({ endpoint: proxy.endpoint, credentials });
    const resolve = createAccountIdResolver(sts);
    expect(await resolve()).toBe(ACCOUNT_ID);
    expect(await resolve()).toBe(ACCOUNT_ID);
    expect(proxy.count('GetCallerIdentity')).toBe(1);
    expect(await createAccountIdResolver(sts, '210987654321')()).toBe('210987654321');
    expect(proxy.count('GetCallerIdentity')).toBe(1);
  });
});

describe('the version switch (IAM_VERSION_SWITCH_WAIT_MS)', () => {
  test('with a wait: the version is created as non-default, then made default after the wait', async () => {
    const name = `switch-${uniqueSuffix()}`;
    await createManaged(name);
    const iam = createIamClient({ endpoint: proxy.endpoint, credentials });
    const switching = createPolicyActivities({
      iam,
      accountId: () => Promise.resolve(ACCOUNT_ID),
      managedByTag,
      guards: { ...DEFAULT_POLICY_GUARDS, versionSwitchWaitMs: 400 },
    });
    const started = Date.now();
    const result = await processEvent(switching, upsert(name, { document: documentFor('s3:Switch') }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(result).toMatchObject({
      outcome: 'updated',
      versionId: 'v2',
      actions: [
        { action: 'CreatePolicyVersion', versionId: 'v2' },
        { action: 'SetDefaultPolicyVersion', versionId: 'v2' },
      ],
    });
    const created = proxy.requests.find((request) => request.action === 'CreatePolicyVersion');
    expect(created?.params.SetAsDefault).toBe('false');
    expect(await versionsOf(arnOf(name))).toEqual([
      { id: 'v1', isDefault: false },
      { id: 'v2', isDefault: true },
    ]);
  });

  test('without (the default): created as the default at once, one call', async () => {
    const name = `switch-none-${uniqueSuffix()}`;
    await createManaged(name);
    const result = await processEvent(viaProxy, upsert(name, { document: documentFor('s3:Now') }));
    expect(result.actions).toEqual([{ action: 'CreatePolicyVersion', versionId: 'v2' }]);
    expect(
      proxy.requests.find((request) => request.action === 'CreatePolicyVersion')?.params.SetAsDefault,
    ).toBe('true');
  });
});
