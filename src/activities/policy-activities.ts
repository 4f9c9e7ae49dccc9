// The policy workflow's two activities: observe a policy, and apply a plan made from that observation.
// Activities run at least once: applyPlan re-reads IAM before each write, so a retry after a crash
// at any point ends in the same state and outcome as an uninterrupted run, with no extra version.
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  SetDefaultPolicyVersionCommand,
  TagPolicyCommand,
  UntagPolicyCommand,
  type IAMClient,
  type Policy,
  type Tag,
} from '@aws-sdk/client-iam';
import { ApplicationFailure } from '@temporalio/common';
import { documentsEqual, serialiseDocument } from '../domain/document';
import {
  checkGuardrails,
  DEFAULT_POLICY_GUARDS,
  describeViolations,
  type PolicyGuards,
} from '../domain/guardrails';
import {
  IAM_FAILURE_TYPES,
  type InspectPolicyInput,
  type CreatePlan,
  type DeletePlan,
  type ObservedPolicy,
  type PolicyObservation,
  type UpdatePlan,
  type WritePlan,
  type WriteResult,
} from '../domain/plan';
import type { IamAction, PolicyDocument } from '../domain/types';
import type { PolicyActivities } from '../messages/activity-contracts';
import { isDeleteConflict, isEntityAlreadyExists, isNoSuchEntity, toActivityFailure } from '../iam/errors';
import {
  findLocalPolicyByName,
  getPolicy,
  getPolicyVersionDocument,
  listPolicyEntities,
  listPolicyVersions,
  policyArnFor,
  type PolicyVersionSummary,
  versionNumber,
} from '../iam/reads';

/** IAM keeps at most this many versions of a managed policy. */
const MAX_POLICY_VERSIONS = 5;

export interface PolicyActivityDeps {
  iam: IAMClient;
  accountId: () => Promise<string>;
  /** The tag that marks policies this service owns; policies without it are never written. */
  managedByTag: { key: string; value: string };
  /** Guardrails and adoption (IAM_GUARDRAILS_FILE, IAM_ADOPT_UNMANAGED); the default rules when absent. */
  guards?: PolicyGuards;
}

function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Runs `work`, turning IAM's refusals into non-retryable failures and leaving transient errors to retry. */
async function withIamFailures<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toActivityFailure(error, operation);
  }
}

export type { PolicyActivities };

export function createPolicyActivities(deps: PolicyActivityDeps): PolicyActivities {
  const { iam, managedByTag } = deps;
  const guards = deps.guards ?? DEFAULT_POLICY_GUARDS;
  // IAM tag keys are case-insensitive, so "Managed-By" is the same key as "managed-by".
  const isManagedByKey = (key: string) => key.toLowerCase() === managedByTag.key.toLowerCase();
  const withoutManagedByKey = (tags: Record<string, string>) =>
    Object.fromEntries(Object.entries(tags).filter(([key]) => !isManagedByKey(key)));

  async function observe(policy: Policy, readDocument: boolean): Promise<ObservedPolicy> {
    const { Arn: arn, PolicyName: name, Path: path, DefaultVersionId: defaultVersionId } = policy;
    if (!arn || !name || !path || !defaultVersionId) {
      throw new Error(`GetPolicy returned an incomplete policy: ${JSON.stringify(policy)}`);
    }
    const allTags = Object.fromEntries((policy.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    const owned = Object.entries(allTags).some(
      ([key, value]) => isManagedByKey(key) && value === managedByTag.value,
    );
    return {
      arn,
      name,
      path,
      defaultVersionId,
      ...(readDocument ? { document: await getPolicyVersionDocument(iam, arn, defaultVersionId) } : {}),
      ...(policy.Description ? { description: policy.Description } : {}),
      tags: withoutManagedByKey(allTags),
      owned,
      ...(!owned && guards.adoptUnmanaged ? { adoptable: true } : {}),
    };
  }

  /** The policy named `policyName` ignoring case, at `path` or, failing that, in any path. */
  async function findPolicy(policyName: string, path: string): Promise<Policy | undefined> {
    const exact = await getPolicy(iam, policyArnFor(await deps.accountId(), path, policyName));
    if (exact) return exact;
    // IAM names are unique per account ignoring case and path; only a scan finds the other spellings.
    const listed = await findLocalPolicyByName(iam, policyName);
    return listed?.Arn ? getPolicy(iam, listed.Arn) : undefined;
  }

  async function inspectPolicy(input: InspectPolicyInput): Promise<PolicyObservation> {
    return withIamFailures(`reading policy ${input.policyName}`, async () => {
      const policy = await findPolicy(input.policyName, input.path);
      if (!policy) return { exists: false };
      return { exists: true, policy: await observe(policy, input.readDocument) };
    });
  }

  // ---- create ----

  async function createPolicy(plan: CreatePlan): Promise<WriteResult> {
    const tags = { ...withoutManagedByKey(plan.tags), [managedByTag.key]: managedByTag.value };
    try {
      const { Policy: created } = await iam.send(
        new CreatePolicyCommand({
          PolicyName: plan.policyName,
          Path: plan.path,
          PolicyDocument: serialiseDocument(plan.document),
          ...(plan.description !== undefined ? { Description: plan.description } : {}),
          Tags: tagList(tags),
        }),
      );
      const versionId = created?.DefaultVersionId ?? 'v1';
      return {
        outcome: 'created',
        policyArn: created?.Arn,
        versionId,
        actions: [{ action: 'CreatePolicy', versionId }],
      };
    } catch (error) {
      if (!isEntityAlreadyExists(error)) throw error;
      return recogniseExistingPolicy(plan);
    }
  }

  /** CreatePolicy said the name is taken: by an earlier attempt of ours (done), or by another policy. */
  async function recogniseExistingPolicy(plan: CreatePlan): Promise<WriteResult> {
    const existing = await findPolicy(plan.policyName, plan.path);
    // IAM is eventually consistent: a policy just created may not be readable yet. Retry later.
    if (!existing)
      throw new Error(`CreatePolicy reports ${plan.policyName} exists, but it cannot be read yet`);
    const observed = await observe(existing, true);
    const ours =
      observed.owned &&
      observed.name === plan.policyName &&
      observed.path === plan.path &&
      observed.document !== undefined &&
      documentsEqual(observed.document, plan.document);
    if (ours) {
      return {
        outcome: 'created',
        policyArn: observed.arn,
        versionId: observed.defaultVersionId,
        actions: [
          {
            action: 'CreatePolicy',
            versionId: observed.defaultVersionId,
            detail: 'made by an earlier attempt whose result was lost',
          },
        ],
      };
    }
    const whose = observed.owned ? 'with other content' : 'and is not managed by this service';
    return {
      outcome: 'rejected',
      policyArn: observed.arn,
      actions: [],
      reason:
        `a policy named ${observed.name} already exists at path ${observed.path} ${whose} ` +
        '(IAM policy names are unique per account, ignoring case and path); nothing was written',
    };
  }

  // ---- update ----

  async function updateTags(plan: UpdatePlan, actions: IamAction[]): Promise<void> {
    // Removals first: IAM compares tag keys ignoring case, and the plan never removes a key it sets.
    const keysToRemove = plan.tagKeysToRemove.filter((key) => !isManagedByKey(key));
    if (keysToRemove.length > 0) {
      await iam.send(new UntagPolicyCommand({ PolicyArn: plan.policyArn, TagKeys: keysToRemove }));
      actions.push({ action: 'UntagPolicy', detail: keysToRemove.join(', ') });
    }
    const tagsToSet = withoutManagedByKey(plan.tagsToSet);
    if (Object.keys(tagsToSet).length > 0) {
      await iam.send(new TagPolicyCommand({ PolicyArn: plan.policyArn, Tags: tagList(tagsToSet) }));
      actions.push({ action: 'TagPolicy', detail: Object.keys(tagsToSet).join(', ') });
    }
  }

  /**
   * Whether a version holds `wanted`, reading each version's document at most once: a version's document
   * never changes, and one update may ask about the same version twice (finding it, removing copies).
   */
  function versionHoldsDocument(policyArn: string, wanted: PolicyDocument) {
    const known = new Map<string, boolean>();
    return async (version: PolicyVersionSummary): Promise<boolean> => {
      let holds = known.get(version.versionId);
      if (holds === undefined) {
        holds = documentsEqual(await getPolicyVersionDocument(iam, policyArn, version.versionId), wanted);
        known.set(version.versionId, holds);
      }
      return holds;
    };
  }

  /**
   * Deletes copies of `wanted` that earlier tries of this same update left behind: non-default versions
   * newer than the default seen when planning (only this plan's tries made those). A CreatePolicyVersion
   * whose answer was lost and that the SDK or Temporal sent again makes one each time.
   */
  async function removeLeftoverCopies(
    plan: UpdatePlan & { document: PolicyDocument },
    keepVersionId: string,
    versions: PolicyVersionSummary[],
    holdsDocument: (version: PolicyVersionSummary) => Promise<boolean>,
    actions: IamAction[],
    notes: string[],
  ): Promise<void> {
    const observed = versionNumber(plan.observedDefaultVersionId);
    for (const version of versions) {
      if (version.isDefault || version.versionId === keepVersionId || !(version.number > observed)) continue;
      if (!(await holdsDocument(version))) continue;
      await deleteVersionIfPresent(plan.policyArn, version.versionId, actions);
      notes.push(
        `version ${version.versionId} was a copy of version ${keepVersionId} left by a retried request whose answer was lost; it was deleted`,
      );
    }
  }

  /** Makes `wanted` the default document with no version to spare; returns the default version's ID. */
  async function setDefaultDocument(
    plan: UpdatePlan & { document: PolicyDocument },
    actions: IamAction[],
    notes: string[],
  ): Promise<string> {
    const { policyArn, document: wanted } = plan;
    const holdsDocument = versionHoldsDocument(policyArn, wanted);
    const versions = await listPolicyVersions(iam, policyArn);
    const current = versions.find((version) => version.isDefault);
    // The default moved since planning, and only this workflow writes the policy: an earlier attempt did it.
    if (current && current.versionId !== plan.observedDefaultVersionId) {
      if (await holdsDocument(current)) {
        notes.push(
          `version ${current.versionId} already held this document: an earlier attempt made it the default`,
        );
        await removeLeftoverCopies(plan, current.versionId, versions, holdsDocument, actions, notes);
        return current.versionId;
      }
    }
    const others = versions.filter((version) => !version.isDefault);
    // A version an earlier attempt of this plan made (only those are newer than the default it planned
    // against) that holds the document. Older versions are not read: a return to an older content gets a
    // new version, like any other change, instead of up to four reads on every update.
    const observed = versionNumber(plan.observedDefaultVersionId);
    const madeByEarlierAttempts = others.filter((version) => version.number > observed);
    for (const version of [...madeByEarlierAttempts].reverse()) {
      if (await holdsDocument(version)) {
        await iam.send(
          new SetDefaultPolicyVersionCommand({ PolicyArn: policyArn, VersionId: version.versionId }),
        );
        actions.push({ action: 'SetDefaultPolicyVersion', versionId: version.versionId });
        await removeLeftoverCopies(plan, version.versionId, versions, holdsDocument, actions, notes);
        return version.versionId;
      }
    }
    // Prune before creating: IAM answers a 6th version with LimitExceeded, which the SDK retries in vain.
    let count = versions.length;
    for (const oldest of others) {
      if (count < MAX_POLICY_VERSIONS) break;
      await deleteVersionIfPresent(policyArn, oldest.versionId, actions);
      count -= 1;
    }
    const { PolicyVersion: created, $metadata } = await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: policyArn,
        PolicyDocument: serialiseDocument(wanted),
        SetAsDefault: true,
      }),
    );
    if (!created?.VersionId) throw new Error(`CreatePolicyVersion returned no version ID for ${policyArn}`);
    actions.push({ action: 'CreatePolicyVersion', versionId: created.VersionId });
    // The SDK sent it more than once (an answer was lost): an earlier send may have made a version too.
    if (($metadata.attempts ?? 1) > 1) {
      await removeLeftoverCopies(
        plan,
        created.VersionId,
        await listPolicyVersions(iam, policyArn),
        holdsDocument,
        actions,
        notes,
      );
    }
    return created.VersionId;
  }

  async function updatePolicy(plan: UpdatePlan): Promise<WriteResult> {
    const actions: IamAction[] = [];
    // Only what applying adds: the plan's own notes reach the event's record from the plan.
    const notes: string[] = [];
    try {
      if (plan.adopt) {
        // First, so that from here on the policy is ours; tagging again on a retry changes nothing.
        await iam.send(
          new TagPolicyCommand({
            PolicyArn: plan.policyArn,
            Tags: [{ Key: managedByTag.key, Value: managedByTag.value }],
          }),
        );
        actions.push({ action: 'TagPolicy', detail: `${managedByTag.key} (adopted an unmanaged policy)` });
      }
      await updateTags(plan, actions);
      const versionId = plan.document
        ? await setDefaultDocument({ ...plan, document: plan.document }, actions, notes)
        : plan.observedDefaultVersionId;
      return {
        outcome: 'updated',
        policyArn: plan.policyArn,
        versionId,
        actions,
        ...(notes.length > 0 ? { notes } : {}),
      };
    } catch (error) {
      if (!isNoSuchEntity(error)) throw error;
      throw ApplicationFailure.nonRetryable(
        `policy ${plan.policyArn} disappeared while it was being updated (deleted outside this service?)`,
        IAM_FAILURE_TYPES.concurrentChange,
        { actions },
      );
    }
  }

  // ---- delete ----

  /** Deletes a version; one already gone (an earlier attempt deleted it) is fine. */
  async function deleteVersionIfPresent(policyArn: string, versionId: string, actions: IamAction[]) {
    try {
      await iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }));
      actions.push({ action: 'DeletePolicyVersion', versionId });
    } catch (error) {
      if (!isNoSuchEntity(error)) throw error;
    }
  }

  async function deletePolicy(plan: DeletePlan): Promise<WriteResult> {
    const { policyArn } = plan;
    const actions: IamAction[] = [];
    try {
      // Asked of IAM, not taken from AttachmentCount, which leaves out permissions boundaries.
      const entities = await listPolicyEntities(iam, policyArn);
      if (entities.length > 0) return { outcome: 'retained-in-use', policyArn, entities, actions };
      // IAM refuses DeletePolicy while non-default versions exist.
      for (const version of await listPolicyVersions(iam, policyArn)) {
        if (!version.isDefault) await deleteVersionIfPresent(policyArn, version.versionId, actions);
      }
      await iam.send(new DeletePolicyCommand({ PolicyArn: policyArn }));
      actions.push({ action: 'DeletePolicy' });
      return { outcome: 'deleted', policyArn, actions };
    } catch (error) {
      // Gone already: an earlier attempt deleted it and its result was lost.
      if (isNoSuchEntity(error)) return { outcome: 'deleted', policyArn, actions };
      if (!isDeleteConflict(error)) throw error;
      // Attached between the check and the delete (real IAM refuses; moto would not).
      const entities = await listPolicyEntities(iam, policyArn);
      if (entities.length === 0) {
        throw new Error(
          `IAM refused to delete ${policyArn} (DeleteConflict) but lists nothing using it; will retry`,
        );
      }
      return { outcome: 'retained-in-use', policyArn, entities, actions };
    }
  }

  /** Refuses, before any write, a document the guardrails forbid (fail-closed: rejected, not retried). */
  function enforceGuardrails(plan: WritePlan): void {
    const document = plan.kind === 'delete' ? undefined : plan.document;
    if (document === undefined) return;
    const violations = checkGuardrails(document, guards.guardrails);
    if (violations.length === 0) return;
    throw ApplicationFailure.nonRetryable(describeViolations(violations), IAM_FAILURE_TYPES.rejectedInput, {
      guardrails: violations,
    });
  }

  async function applyPlan(plan: WritePlan): Promise<WriteResult> {
    enforceGuardrails(plan);
    switch (plan.kind) {
      case 'create':
        return withIamFailures(`creating policy ${plan.policyName}`, () => createPolicy(plan));
      case 'update':
        return withIamFailures(`updating policy ${plan.policyArn}`, () => updatePolicy(plan));
      case 'delete':
        return withIamFailures(`deleting policy ${plan.policyArn}`, () => deletePolicy(plan));
    }
  }

  return { inspectPolicy, applyPlan };
}
