// The guards against moto, through the activities and decide(): guardrails refuse before any write,
// adoption of unmanaged policies only when enabled (and never for a delete), and no version left behind
// when IAM's answer to a write is lost and the request is sent again.
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  GetPolicyCommand,
  ListPolicyVersionsCommand,
  type PolicyVersion,
} from '@aws-sdk/client-iam';
import { createPolicyActivities, type PolicyActivities } from '../../src/activities/policy-activities';
import { decodePolicyDocument, documentsEqual } from '../../src/domain/document';
import { DEFAULT_GUARDRAILS, type PolicyGuards } from '../../src/domain/guardrails';
import { parseGuardrailConfig } from '../../src/config/guardrails-file';
import { decide, observationInput } from '../../src/domain/decide';
import type { WriteResult } from '../../src/messages/activity-contracts';
import type { PolicyDocument, PolicyEvent } from '../../src/domain/types';
import { createIamClient } from '../../src/iam/client';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { DROP_CONNECTION, startIamProxy, type IamProxy } from '../../harness/iam-proxy';

const ACCOUNT_ID = '123456789012';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const managedByTag = { key: 'managed-by', value: 'iam-policy-events' };
const motoEndpoint = testIamEndpoint();
const admin = createIamClient({ endpoint: motoEndpoint, credentials });

function activitiesAt(endpoint: string, guards?: PolicyGuards, maxAttempts?: number): PolicyActivities {
  const iam = createIamClient({ endpoint, credentials, ...(maxAttempts ? { maxAttempts } : {}) });
  return createPolicyActivities({
    iam,
    accountId: () => Promise.resolve(ACCOUNT_ID),
    managedByTag,
    ...(guards ? { guards } : {}),
  });
}

let proxy: IamProxy;
beforeEach(async () => {
  proxy = await startIamProxy(motoEndpoint);
});
afterEach(() => proxy.close());

const allowing = (action: string, resource = '*'): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
});

function upsert(policyName: string, document: PolicyDocument, tags?: Record<string, string>): PolicyEvent {
  return {
    source: 'test',
    id: uniqueSuffix(),
    type: 'iam.policy.upsert',
    policyName,
    path: '/',
    document,
    ...(tags ? { tags } : {}),
  };
}

function deletion(policyName: string): PolicyEvent {
  return { source: 'test', id: uniqueSuffix(), type: 'iam.policy.delete', policyName, path: '/' };
}

async function processEvent(acts: PolicyActivities, event: PolicyEvent): Promise<WriteResult> {
  const decision = decide(event, await acts.inspectPolicy(observationInput(event)));
  if (decision.kind === 'none')
    return { outcome: decision.outcome, reason: decision.reason, actions: [], notes: decision.notes };
  // As the policy workflow does: the decision's notes, then those carrying it out added.
  const written = await acts.applyPlan(decision);
  const notes = [...(decision.kind === 'update' ? (decision.notes ?? []) : []), ...(written.notes ?? [])];
  return { ...written, ...(notes.length > 0 ? { notes } : {}) };
}

/** The observation of an upsert of `policyName` at /. */
function observeUpsert(acts: PolicyActivities, policyName: string) {
  return acts.inspectPolicy({ policyName, path: '/', readDocument: true, listEntities: false });
}

const arnOf = (name: string) => `arn:aws:iam::${ACCOUNT_ID}:policy/${name}`;

async function versionsOf(arn: string): Promise<PolicyVersion[]> {
  return (await admin.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [];
}

async function tagsOf(arn: string): Promise<Record<string, string>> {
  const { Policy: policy } = await admin.send(new GetPolicyCommand({ PolicyArn: arn }));
  return Object.fromEntries((policy?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

describe('guardrails', () => {
  test('a create granting privilege escalation is refused before any IAM write, naming the rule', async () => {
    const acts = activitiesAt(proxy.endpoint);
    const result = await processEvent(acts, upsert(`guard-esc-${uniqueSuffix()}`, allowing('iam:*Policy*')));
    expect(result.outcome).toBe('rejected');
    expect(result.reason).toMatch(
      /guardrail no-privilege-escalation: Statement\[0\] allows "iam:\*Policy\*"/,
    );
    expect(proxy.actions()).toEqual(['GetPolicy', 'ListPolicies']);
  });

  test('an update to a forbidden document is refused; the policy keeps its version', async () => {
    const name = `guard-upd-${uniqueSuffix()}`;
    const acts = activitiesAt(motoEndpoint);
    expect((await processEvent(acts, upsert(name, allowing('s3:GetObject')))).outcome).toBe('created');
    const result = await processEvent(acts, upsert(name, allowing('*')));
    expect(result.outcome).toBe('rejected');
    expect(result.reason).toMatch(/no-full-admin/);
    expect(await versionsOf(arnOf(name))).toHaveLength(1);
  });

  test('rules come from the configuration: a disabled rule no longer refuses', async () => {
    const lenient = parseGuardrailConfig('{"disable": ["no-assume-any-role"]}');
    const acts = activitiesAt(motoEndpoint, { guardrails: lenient, adoptUnmanaged: false });
    const result = await processEvent(
      acts,
      upsert(`guard-cfg-${uniqueSuffix()}`, allowing('sts:AssumeRole')),
    );
    expect(result.outcome).toBe('created');
    const strict = activitiesAt(motoEndpoint, { guardrails: DEFAULT_GUARDRAILS, adoptUnmanaged: false });
    await expect(
      processEvent(strict, upsert(`guard-cfg-${uniqueSuffix()}`, allowing('sts:AssumeRole'))),
    ).resolves.toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/no-assume-any-role/) });
  });
});

describe('adoption of unmanaged policies', () => {
  async function foreign(name: string, document = allowing('s3:GetObject')): Promise<string> {
    const { Policy: policy } = await admin.send(
      new CreatePolicyCommand({ PolicyName: name, PolicyDocument: JSON.stringify(document) }),
    );
    return policy!.Arn!;
  }

  test('off by default: an upsert of an unmanaged policy is rejected and nothing is written', async () => {
    const name = `adopt-off-${uniqueSuffix()}`;
    const arn = await foreign(name);
    const result = await processEvent(activitiesAt(motoEndpoint), upsert(name, allowing('s3:PutObject')));
    expect(result).toMatchObject({
      outcome: 'rejected',
      reason: expect.stringContaining('not managed') as unknown,
    });
    expect(await tagsOf(arn)).toEqual({});
  });

  test('when enabled, an upsert tags the policy first and records the adoption; a same-content upsert too', async () => {
    const adopting = activitiesAt(motoEndpoint, { guardrails: DEFAULT_GUARDRAILS, adoptUnmanaged: true });
    const name = `adopt-on-${uniqueSuffix()}`;
    const arn = await foreign(name);
    const result = await processEvent(adopting, upsert(name, allowing('s3:PutObject'), { team: 'a' }));
    expect(result).toMatchObject({ outcome: 'updated', versionId: 'v2' });
    expect(result.actions).toEqual([
      { action: 'TagPolicy', detail: 'managed-by (adopted an unmanaged policy)' },
      { action: 'TagPolicy', detail: 'team' },
      { action: 'CreatePolicyVersion', versionId: 'v2' },
    ]);
    expect(result.notes).toEqual([expect.stringContaining('was adopted')]);
    expect(await tagsOf(arn)).toEqual({ 'managed-by': 'iam-policy-events', team: 'a' });
    // Now owned: an ordinary policy of the service.
    expect(
      (await processEvent(activitiesAt(motoEndpoint), upsert(name, allowing('s3:PutObject')))).outcome,
    ).toBe('unchanged');

    const same = `adopt-same-${uniqueSuffix()}`;
    const sameArn = await foreign(same);
    const unchangedContent = await processEvent(adopting, upsert(same, allowing('s3:GetObject')));
    expect(unchangedContent).toMatchObject({ outcome: 'updated', versionId: 'v1' });
    expect(unchangedContent.actions).toEqual([
      { action: 'TagPolicy', detail: 'managed-by (adopted an unmanaged policy)' },
    ]);
    expect(await versionsOf(sameArn)).toHaveLength(1);
  });

  test('never for a delete: an unmanaged policy is not deleted even with adoption on; an adopted one is', async () => {
    const adopting = activitiesAt(motoEndpoint, { guardrails: DEFAULT_GUARDRAILS, adoptUnmanaged: true });
    const name = `adopt-del-${uniqueSuffix()}`;
    const arn = await foreign(name);
    expect((await processEvent(adopting, deletion(name))).outcome).toBe('rejected');
    expect(await versionsOf(arn)).toHaveLength(1);
    expect((await processEvent(adopting, upsert(name, allowing('s3:GetObject')))).outcome).toBe('updated');
    expect((await processEvent(adopting, deletion(name))).outcome).toBe('deleted');
  });

  test('guardrails still apply to an adopted policy', async () => {
    const adopting = activitiesAt(motoEndpoint, { guardrails: DEFAULT_GUARDRAILS, adoptUnmanaged: true });
    const name = `adopt-guard-${uniqueSuffix()}`;
    const arn = await foreign(name);
    await expect(processEvent(adopting, upsert(name, allowing('iam:PassRole')))).resolves.toMatchObject({
      outcome: 'rejected',
      reason: expect.stringMatching(/no-pass-any-role/),
    });
    expect(await tagsOf(arn)).toEqual({});
  });
});

describe('lost answers to writes', () => {
  async function documentsOf(
    arn: string,
  ): Promise<{ id: string; isDefault: boolean; document: PolicyDocument }[]> {
    return (await versionsOf(arn)).map((v) => ({
      id: v.VersionId!,
      isDefault: v.IsDefaultVersion === true,
      document: decodePolicyDocument(v.Document!),
    }));
  }

  /** IAM does the next `times` CreatePolicyVersion requests, but their answers never arrive. */
  function loseCreatePolicyVersionAnswers(times: number): void {
    proxy.addRule({
      action: 'CreatePolicyVersion',
      times,
      respond: async (_request, forward) => {
        await forward();
        return DROP_CONNECTION;
      },
    });
  }

  test('CreatePolicyVersion done but its answer lost: the SDK resends it, the copy is deleted', async () => {
    const name = `lost-ver-${uniqueSuffix()}`;
    await processEvent(activitiesAt(motoEndpoint), upsert(name, allowing('s3:GetObject')));
    loseCreatePolicyVersionAnswers(1);
    const result = await processEvent(activitiesAt(proxy.endpoint), upsert(name, allowing('s3:PutObject')));
    expect(proxy.count('CreatePolicyVersion')).toBe(2);
    expect(result).toMatchObject({ outcome: 'updated', versionId: 'v3' });
    expect(result.actions).toEqual([
      { action: 'CreatePolicyVersion', versionId: 'v3' },
      { action: 'DeletePolicyVersion', versionId: 'v2' },
    ]);
    const versions = await documentsOf(arnOf(name));
    expect(versions.map((v) => [v.id, v.isDefault])).toEqual([
      ['v1', false],
      ['v3', true],
    ]);
  });

  test('every send lost, the activity retried: the retry finds its default and deletes the other copy', async () => {
    const name = `lost-all-${uniqueSuffix()}`;
    await processEvent(activitiesAt(motoEndpoint), upsert(name, allowing('s3:GetObject')));
    const wanted = allowing('s3:PutObject');
    const event = upsert(name, wanted);
    const twoTries = activitiesAt(proxy.endpoint, undefined, 2);
    const plan = decide(event, await observeUpsert(twoTries, name));
    if (plan.kind !== 'update') throw new Error(`expected an update plan, got ${plan.kind}`);
    loseCreatePolicyVersionAnswers(2);
    await expect(twoTries.applyPlan(plan)).rejects.toThrow();
    expect((await versionsOf(arnOf(name))).map((v) => v.VersionId)).toEqual(['v1', 'v2', 'v3']);
    const retried = await twoTries.applyPlan(plan);
    expect(retried).toMatchObject({ outcome: 'updated', versionId: 'v3' });
    expect(retried.actions).toEqual([{ action: 'DeletePolicyVersion', versionId: 'v2' }]);
    const versions = await documentsOf(arnOf(name));
    expect(versions.map((v) => v.id)).toEqual(['v1', 'v3']);
    expect(documentsEqual(versions[1].document, wanted)).toBe(true);
  });

  test('a lost answer with a newer non-default version present: each version is read at most once', async () => {
    const name = `lost-reads-${uniqueSuffix()}`;
    await processEvent(activitiesAt(motoEndpoint), upsert(name, allowing('s3:GetObject')));
    // A non-default version newer than the default, with other content: read while looking for the
    // wanted document, and again among the candidates for copies unless the first answer is kept.
    await admin.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arnOf(name),
        PolicyDocument: JSON.stringify(allowing('s3:Other')),
        SetAsDefault: false,
      }),
    );
    const acts = activitiesAt(proxy.endpoint);
    const plan = decide(upsert(name, allowing('s3:PutObject')), await observeUpsert(acts, name));
    if (plan.kind !== 'update') throw new Error(`expected an update plan, got ${plan.kind}`);
    loseCreatePolicyVersionAnswers(1); // IAM makes v3; the SDK sends the request again: v4
    proxy.clearRequests();
    const result = await acts.applyPlan(plan);
    expect(result).toMatchObject({ outcome: 'updated', versionId: 'v4' });
    expect(result.actions).toEqual([
      { action: 'CreatePolicyVersion', versionId: 'v4' },
      { action: 'DeletePolicyVersion', versionId: 'v3' },
    ]);
    expect(result.notes).toEqual([expect.stringMatching(/v3 was a copy of version v4/)]);
    expect((await versionsOf(arnOf(name))).map((version) => version.VersionId)).toEqual(['v1', 'v2', 'v4']);
    const reads = proxy.requests.filter((request) => request.action === 'GetPolicyVersion');
    expect(reads.map((request) => request.params.VersionId)).toEqual(['v2', 'v3']);
  });
});
