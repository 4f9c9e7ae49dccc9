// Carrying out a write decide() chose. Each runs at least once (an activity may be retried after a crash
// at any point), so each re-reads IAM before it writes and recognises its own earlier writes: a retry ends
// in the same state and outcome as an uninterrupted run, with no extra version. IAM errors pass through,
// except those that are an answer here (NoSuchEntity, EntityAlreadyExists, DeleteConflict).
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  SetDefaultPolicyVersionCommand,
  TagPolicyCommand,
  UntagPolicyCommand,
  type IAMClient,
  type Tag,
} from '@aws-sdk/client-iam';
import { auditTagKey, isServiceTagKey } from '../domain/audit-tags';
import type { CreatePlan, DeletePlan, UpdatePlan } from '../domain/decide';
import { documentsEqual, serialiseDocument } from '../domain/document';
import type { IamAction, PolicyDocument, PolicyEntity } from '../domain/types';
import type { WriteResult } from '../messages/activity-contracts';
import { nonRetryableFailure } from '../messages/activity-failures';
import { isDeleteConflict, isEntityAlreadyExists, isLimitExceeded, isNoSuchEntity } from './errors';
import { forgetVersion, recordVersion } from './audit-record';
import {
  describePolicy,
  findPolicy,
  isManagedByKey,
  userTags,
  type IamContext,
  type ManagedByTag,
} from './observe';
import {
  getPolicy,
  getPolicyVersionDocument,
  listPolicyEntities,
  listPolicyVersions,
  versionNumber,
  type PolicyVersionSummary,
} from './reads';

/** IAM keeps at most this many versions of a managed policy. */
const MAX_POLICY_VERSIONS = 5;
/** The version CreatePolicy makes. */
const FIRST_VERSION_ID = 'v1';

/**
 * How long the observation's "nothing uses the policy" is relied on for deleting versions. Observation
 * and delete normally run in one workflow task, milliseconds apart; a delete run later (a retry, a worker
 * that took over) asks IAM again first.
 */
export const UNUSED_FRESH_MS = 5_000;

/**
 * How long a write step waits for IAM's eventually consistent reads to list a version it knows exists
 * (its own write); then it fails, to be retried. Well within the activity's 30 s start-to-close timeout.
 */
export const OWN_WRITE_READ_WAIT_MS = 15_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The policy's versions once the listing `shows` what a write of ours made: right after a write, IAM's
 * reads may still answer the state before it, and acting on that list would miss our own version.
 */
export async function listVersionsShowing(
  iam: IAMClient,
  policyArn: string,
  shows: (versions: PolicyVersionSummary[]) => boolean,
  waitMs: number = OWN_WRITE_READ_WAIT_MS,
): Promise<PolicyVersionSummary[]> {
  const started = Date.now();
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    const versions = await listPolicyVersions(iam, policyArn);
    if (shows(versions)) return versions;
    if (Date.now() - started + delay > waitMs) {
      throw new Error(
        `IAM does not list the versions of ${policyArn} as written yet (eventual consistency); will retry`,
      );
    }
    await pause(delay);
  }
}

function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

// ---- create ----

/**
 * `auditValue`: the audit tag value naming the event (src/domain/audit-tags.ts), set on v1 in the same
 * call, so the record is there as soon as the policy is; absent (a write scheduled by an older build),
 * no record.
 */
export async function createPolicy(
  context: IamContext,
  plan: CreatePlan,
  auditValue?: string,
): Promise<WriteResult> {
  const { managedByTag } = context;
  const tags = {
    ...userTags(managedByTag, plan.tags),
    [managedByTag.key]: managedByTag.value,
    ...(auditValue !== undefined ? { [auditTagKey(FIRST_VERSION_ID)]: auditValue } : {}),
  };
  try {
    const { Policy: created } = await context.iam.send(
      new CreatePolicyCommand({
        PolicyName: plan.policyName,
        Path: plan.path,
        PolicyDocument: serialiseDocument(plan.document),
        ...(plan.description !== undefined ? { Description: plan.description } : {}),
        Tags: tagList(tags),
      }),
    );
    const versionId = created?.DefaultVersionId ?? FIRST_VERSION_ID;
    return {
      outcome: 'created',
      policyArn: created?.Arn,
      versionId,
      actions: [{ action: 'CreatePolicy', versionId }],
    };
  } catch (error) {
    if (!isEntityAlreadyExists(error)) throw error;
    return recogniseExistingPolicy(context, plan);
  }
}

/** CreatePolicy said the name is taken: by an earlier attempt of ours (done), or by another policy. */
async function recogniseExistingPolicy(context: IamContext, plan: CreatePlan): Promise<WriteResult> {
  const existing = await findPolicy(context, plan.policyName, plan.path);
  // IAM is eventually consistent: a policy just created may not be readable yet. Retry later.
  if (!existing) throw new Error(`CreatePolicy reports ${plan.policyName} exists, but it cannot be read yet`);
  const observed = await describePolicy(context, existing, true);
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

/** Sets and removes tags as planned; the managed-by tag and the audit record are never touched here. */
export async function updateTags(
  iam: IAMClient,
  managedByTag: ManagedByTag,
  plan: Pick<UpdatePlan, 'policyArn' | 'tagsToSet' | 'tagKeysToRemove'>,
  actions: IamAction[],
): Promise<void> {
  // Removals first: IAM compares tag keys ignoring case, and the plan never removes a key it sets.
  const keysToRemove = plan.tagKeysToRemove.filter(
    (key) => !isManagedByKey(managedByTag, key) && !isServiceTagKey(key),
  );
  if (keysToRemove.length > 0) {
    await iam.send(new UntagPolicyCommand({ PolicyArn: plan.policyArn, TagKeys: keysToRemove }));
    actions.push({ action: 'UntagPolicy', detail: keysToRemove.join(', ') });
  }
  const tagsToSet = userTags(managedByTag, plan.tagsToSet);
  if (Object.keys(tagsToSet).length > 0) {
    await iam.send(new TagPolicyCommand({ PolicyArn: plan.policyArn, Tags: tagList(tagsToSet) }));
    actions.push({ action: 'TagPolicy', detail: Object.keys(tagsToSet).join(', ') });
  }
}

/**
 * Whether a version holds `wanted`, reading each version's document at most once: a version's document
 * never changes, and one update may ask about the same version twice (finding it, removing copies).
 */
function versionHoldsDocument(iam: IAMClient, policyArn: string, wanted: PolicyDocument) {
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

type DocumentUpdate = Pick<UpdatePlan, 'policyArn' | 'observedDefaultVersionId'> & {
  document: PolicyDocument;
};

/**
 * Deletes copies of `wanted` that earlier tries of this same update left behind: non-default versions
 * newer than the default seen when observing (only this plan's tries made those). A CreatePolicyVersion
 * whose answer was lost and that the SDK or Temporal sent again makes one each time.
 */
async function removeLeftoverCopies(
  iam: IAMClient,
  plan: DocumentUpdate,
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
    // No audit tag to remove: only a version whose creation answered is tagged, and a copy's never did.
    await deleteVersionIfPresent(iam, plan.policyArn, version.versionId, actions);
    notes.push(
      `version ${version.versionId} was a copy of version ${keepVersionId} left by a retried request whose answer was lost; it was deleted`,
    );
  }
}

/**
 * Makes `plan.document` the default document with no version to spare, pruning the oldest non-default
 * version first at IAM's limit; returns the default version's ID.
 */
export async function setDefaultDocument(
  iam: IAMClient,
  plan: DocumentUpdate,
  actions: IamAction[],
  notes: string[],
  retried = false,
  switchWaitMs = 0,
): Promise<string> {
  const { policyArn, document: wanted } = plan;
  const holdsDocument = versionHoldsDocument(iam, policyArn, wanted);
  const versions = await listPolicyVersions(iam, policyArn);
  const current = versions.find((version) => version.isDefault);
  // The default moved since observing, and only this workflow writes the policy: an earlier attempt did it.
  if (current && current.versionId !== plan.observedDefaultVersionId) {
    if (await holdsDocument(current)) {
      notes.push(
        `version ${current.versionId} already held this document: an earlier attempt made it the default`,
      );
      await removeLeftoverCopies(iam, plan, current.versionId, versions, holdsDocument, actions, notes);
      return current.versionId;
    }
  }
  const others = versions.filter((version) => !version.isDefault);
  // A version an earlier attempt of this plan made (only those are newer than the default it was decided
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
      await removeLeftoverCopies(iam, plan, version.versionId, versions, holdsDocument, actions, notes);
      return version.versionId;
    }
  }
  // Prune before creating: IAM answers a 6th version with LimitExceeded, which the SDK retries in vain.
  let count = versions.length;
  for (const oldest of others) {
    if (count < MAX_POLICY_VERSIONS) break;
    await pruneVersion(iam, policyArn, oldest.versionId, actions);
    count -= 1;
  }
  const highest = Math.max(0, ...versions.map((version) => version.number));
  let created: string | undefined;
  let attempts = 1;
  try {
    const { PolicyVersion: version, $metadata } = await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: policyArn,
        PolicyDocument: serialiseDocument(wanted),
        // With a switch wait: created aside, made default below (a retry finds it and makes it default).
        SetAsDefault: switchWaitMs <= 0,
      }),
    );
    created = version?.VersionId;
    attempts = $metadata.attempts ?? 1;
  } catch (error) {
    // Pruned below the limit, yet over it: an earlier send of this request (its answer lost) made a version.
    if (!isLimitExceeded(error)) throw error;
    const own = await ownLostVersion(iam, plan, highest, holdsDocument, actions, notes);
    if (own === undefined) throw error;
    return own;
  }
  if (!created) throw new Error(`CreatePolicyVersion returned no version ID for ${policyArn}`);
  actions.push({ action: 'CreatePolicyVersion', versionId: created });
  if (switchWaitMs > 0) {
    // SetAsDefault=true has caused brief AccessDenied for sessions using the policy: switch after a wait.
    await pause(switchWaitMs);
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: policyArn, VersionId: created }));
    actions.push({ action: 'SetDefaultPolicyVersion', versionId: created });
  }
  // Sent more than once (an answer was lost), or this is a retry of the whole step: an earlier send may
  // have made a copy. Listed once IAM's reads show our version, so that a lagging read hides no copy.
  if (attempts > 1 || retried) {
    const latest = created;
    await removeLeftoverCopies(
      iam,
      plan,
      latest,
      await listVersionsShowing(iam, policyArn, (listed) => listed.some((v) => v.versionId === latest)),
      holdsDocument,
      actions,
      notes,
    );
  }
  return created;
}

/**
 * After LimitExceeded: the version an earlier send of our CreatePolicyVersion made (numbered above
 * `highest`, the newest before it, and holding the document), made default and reported as created;
 * undefined when there is none (the limit is real).
 */
async function ownLostVersion(
  iam: IAMClient,
  plan: DocumentUpdate,
  highest: number,
  holdsDocument: (version: PolicyVersionSummary) => Promise<boolean>,
  actions: IamAction[],
  notes: string[],
): Promise<string | undefined> {
  const { policyArn } = plan;
  const versions = await listVersionsShowing(iam, policyArn, (listed) =>
    listed.some((version) => version.number > highest),
  ).catch(() => undefined);
  if (!versions) return undefined;
  for (const version of versions.filter((v) => v.number > highest).reverse()) {
    if (!(await holdsDocument(version))) continue;
    actions.push({
      action: 'CreatePolicyVersion',
      versionId: version.versionId,
      detail: 'made by an earlier send whose answer was lost',
    });
    if (!version.isDefault) {
      await iam.send(
        new SetDefaultPolicyVersionCommand({ PolicyArn: policyArn, VersionId: version.versionId }),
      );
      actions.push({ action: 'SetDefaultPolicyVersion', versionId: version.versionId });
    }
    await removeLeftoverCopies(iam, plan, version.versionId, versions, holdsDocument, actions, notes);
    return version.versionId;
  }
  return undefined;
}

/**
 * `retried`: an earlier attempt of this same step may have written (the activity's attempt > 1).
 * `auditValue`: the audit tag value naming the event, set on the version made default (a tags-only
 * update makes no version and sets none); absent (a write scheduled by an older build), no record.
 */
export async function updatePolicy(
  context: IamContext,
  plan: UpdatePlan,
  retried = false,
  switchWaitMs = 0,
  auditValue?: string,
): Promise<WriteResult> {
  const { iam, managedByTag } = context;
  const actions: IamAction[] = [];
  // Only what carrying out adds: the decision's own notes reach the event's record from the decision.
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
    await updateTags(iam, managedByTag, plan, actions);
    const versionId = plan.document
      ? await setDefaultDocument(
          iam,
          { ...plan, document: plan.document },
          actions,
          notes,
          retried,
          switchWaitMs,
        )
      : plan.observedDefaultVersionId;
    // Also when an earlier attempt made the version: it may have stopped before tagging it.
    if (plan.document && auditValue !== undefined) {
      await recordVersion(iam, plan.policyArn, versionId, auditValue, actions, notes);
    }
    return {
      outcome: 'updated',
      policyArn: plan.policyArn,
      versionId,
      actions,
      ...(notes.length > 0 ? { notes } : {}),
    };
  } catch (error) {
    if (!isNoSuchEntity(error)) throw error;
    throw nonRetryableFailure(
      'concurrentChange',
      `policy ${plan.policyArn} disappeared while it was being updated (deleted outside this service?)`,
      { details: [{ actions }] },
    );
  }
}

/** Deletes a version to make room, its audit tag first (src/iam/audit-record.ts). */
async function pruneVersion(
  iam: IAMClient,
  policyArn: string,
  versionId: string,
  actions: IamAction[],
): Promise<void> {
  await forgetVersion(iam, policyArn, versionId, actions);
  await deleteVersionIfPresent(iam, policyArn, versionId, actions);
}

// ---- delete ----

/** Deletes a version; one already gone (an earlier attempt deleted it) is fine. */
export async function deleteVersionIfPresent(
  iam: IAMClient,
  policyArn: string,
  versionId: string,
  actions: IamAction[],
): Promise<void> {
  try {
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }));
    actions.push({ action: 'DeletePolicyVersion', versionId });
  } catch (error) {
    if (!isNoSuchEntity(error)) throw error;
  }
}

/**
 * Whether IAM counts any user, group or role using the policy (permissions policy or boundary): one
 * GetPolicy, for the checks right before each delete step. Absent counts as unused here; the steps that
 * follow meet NoSuchEntity (deleted) or DeleteConflict (in use) then.
 */
async function countsUsers(iam: IAMClient, policyArn: string): Promise<boolean> {
  const policy = await getPolicy(iam, policyArn);
  return (policy?.AttachmentCount ?? 0) + (policy?.PermissionsBoundaryUsageCount ?? 0) > 0;
}

/** Who uses the policy, read again with backoff while IAM's reads list nobody, up to `waitMs`. */
async function entitiesOnceListed(
  iam: IAMClient,
  policyArn: string,
  waitMs: number = OWN_WRITE_READ_WAIT_MS,
): Promise<PolicyEntity[]> {
  const started = Date.now();
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    const entities = await listPolicyEntities(iam, policyArn);
    if (entities.length > 0 || Date.now() - started + delay > waitMs) return entities;
    await pause(delay);
  }
}

/**
 * Deletes the non-default versions, then the policy; only once nothing uses it. `now` is the worker's
 * clock, to judge whether the observation's answer to that is recent enough to rely on. Someone may
 * attach the policy at any moment: IAM is asked again right before the versions are deleted and right
 * before DeletePolicy, and every version deleted is reported, whatever the outcome.
 */
export async function deletePolicy(
  iam: IAMClient,
  plan: DeletePlan,
  now: number = Date.now(),
): Promise<WriteResult> {
  const { policyArn } = plan;
  const actions: IamAction[] = [];
  const retained = async (): Promise<WriteResult> => ({
    outcome: 'retained-in-use',
    policyArn,
    entities: await listPolicyEntities(iam, policyArn),
    actions,
  });
  try {
    // Versions, unlike the policy, IAM lets go even while the policy is in use: ask again unless the
    // observation just did. Asked of IAM, not taken from AttachmentCount, which leaves out boundaries.
    if (plan.unusedSince === undefined || now - plan.unusedSince > UNUSED_FRESH_MS) {
      const entities = await listPolicyEntities(iam, policyArn);
      if (entities.length > 0) return { outcome: 'retained-in-use', policyArn, entities, actions };
    }
    // IAM refuses DeletePolicy while non-default versions exist.
    const others = (await listPolicyVersions(iam, policyArn)).filter((version) => !version.isDefault);
    // Right before the versions go (they cannot be restored): attached since the observation?
    if (others.length > 0 && (await countsUsers(iam, policyArn))) return await retained();
    for (const version of others) await deleteVersionIfPresent(iam, policyArn, version.versionId, actions);
    // And right before the policy: IAM's DeleteConflict would catch it too, but only for attachments it
    // has seen; this check costs one read and narrows the window to the two calls.
    if (others.length > 0 && (await countsUsers(iam, policyArn))) return await retained();
    await iam.send(new DeletePolicyCommand({ PolicyArn: policyArn }));
    actions.push({ action: 'DeletePolicy' });
    return { outcome: 'deleted', policyArn, actions };
  } catch (error) {
    // Gone already: an earlier attempt deleted it and its result was lost.
    if (isNoSuchEntity(error)) return { outcome: 'deleted', policyArn, actions };
    if (!isDeleteConflict(error)) throw error;
    // Attached since it was last listed: real IAM refuses (moto would not), and its refusal is the fresh
    // answer. Its reads may not list the attachment yet (eventual consistency): wait for them here, so the
    // outcome keeps the versions this attempt deleted (a retry would not know of them).
    const entities = await entitiesOnceListed(iam, policyArn);
    if (entities.length === 0) {
      throw new Error(
        `IAM refused to delete ${policyArn} (DeleteConflict) but lists nothing using it; will retry` +
          (actions.length > 0
            ? ` (versions deleted so far: ${actions.map((a) => a.versionId).join(', ')})`
            : ''),
      );
    }
    return { outcome: 'retained-in-use', policyArn, entities, actions };
  }
}
