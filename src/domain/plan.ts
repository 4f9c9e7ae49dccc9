// Observe → plan → act: the policy workflow observes IAM through an activity, decides here what to
// write, and hands the plan to another activity. Pure and deterministic (it runs in workflow code),
// so the decision is recorded in history and a retried write never decides anew.
import { documentsEqual } from './document';
import type { IamAction, Outcome, PolicyDocument, PolicyEntity, PolicyEvent } from './types';

/** A customer-managed policy as IAM showed it. */
export interface ObservedPolicy {
  arn: string;
  /** The name as IAM spells it (may differ in case from the event's). */
  name: string;
  path: string;
  defaultVersionId: string;
  /** The default version's document; read only when asked for. */
  document?: PolicyDocument;
  description?: string;
  /** The policy's tags WITHOUT the managed-by tag. */
  tags: Record<string, string>;
  /** Carries this service's managed-by tag: only such policies are ever written. */
  owned: boolean;
  /** Not owned, but the worker adopts unmanaged policies on upsert (IAM_ADOPT_UNMANAGED=true). */
  adoptable?: boolean;
}

export type PolicyObservation = { exists: false } | { exists: true; policy: ObservedPolicy };

export interface InspectPolicyInput {
  policyName: string;
  path: string;
  /** Read the default version's document (upserts need it; deletes do not). */
  readDocument: boolean;
}

export interface NoWritePlan {
  kind: 'none';
  outcome: 'unchanged' | 'absent' | 'rejected';
  reason?: string;
  policyArn?: string;
  versionId?: string;
  notes?: string[];
}

export interface CreatePlan {
  kind: 'create';
  policyName: string;
  path: string;
  document: PolicyDocument;
  description?: string;
  /** Tags from the event; the activity adds the managed-by tag. */
  tags: Record<string, string>;
}

export interface UpdatePlan {
  kind: 'update';
  policyArn: string;
  /** The default version seen when planning: a retry uses it to recognise its own earlier write. */
  observedDefaultVersionId: string;
  /** Present only when the content differs. */
  document?: PolicyDocument;
  tagsToSet: Record<string, string>;
  tagKeysToRemove: string[];
  /** The policy has no managed-by tag and is adopted: tag it before anything else. */
  adopt?: boolean;
  notes?: string[];
}

export interface DeletePlan {
  kind: 'delete';
  policyArn: string;
}

export type WritePlan = CreatePlan | UpdatePlan | DeletePlan;
export type PolicyPlan = NoWritePlan | WritePlan;

/** What applying a write plan did. */
export interface WriteResult {
  outcome: Outcome;
  actions: IamAction[];
  policyArn?: string;
  versionId?: string;
  entities?: PolicyEntity[];
  reason?: string;
  notes?: string[];
}

/**
 * ApplicationFailure types the policy activities throw (non-retryable), so the workflow can tell
 * them apart without importing the AWS SDK.
 */
export const IAM_FAILURE_TYPES = {
  /** IAM refused the event's content (MalformedPolicyDocument, InvalidInput, LimitExceeded, ...): `rejected`. */
  rejectedInput: 'IamRejectedInput',
  /** IAM refused the request itself (AccessDenied, ...): `failed`, an operator must act. */
  requestRejected: 'IamRequestRejected',
  /** The policy changed under the plan (deleted or altered outside this service): observe and plan again. */
  concurrentChange: 'IamConcurrentChange',
} as const;

/** The tag changes that make `current` equal `desired`. */
export function diffTags(
  current: Record<string, string>,
  desired: Record<string, string>,
): { tagsToSet: Record<string, string>; tagKeysToRemove: string[] } {
  const tagsToSet = Object.fromEntries(
    Object.entries(desired).filter(([key, value]) => current[key] !== value),
  );
  // IAM tag keys are case-insensitive: removing "Team" would also remove a "team" that is being set.
  const desiredKeys = new Set(Object.keys(desired).map((key) => key.toLowerCase()));
  const tagKeysToRemove = Object.keys(current)
    .filter((key) => !desiredKeys.has(key.toLowerCase()))
    .sort();
  return { tagsToSet, tagKeysToRemove };
}

function notesFor(event: PolicyEvent, policy: ObservedPolicy): string[] {
  const notes: string[] = [];
  if (policy.name !== event.policyName) {
    notes.push(
      `the policy is named "${policy.name}" in IAM; policy names are case-insensitive, so this event applies to it`,
    );
  }
  const current = policy.description ?? '';
  if (
    event.type === 'iam.policy.upsert' &&
    event.description !== undefined &&
    event.description !== current
  ) {
    notes.push(
      `description differs (policy: ${JSON.stringify(current)}, event: ${JSON.stringify(event.description)}): ` +
        'IAM policy descriptions are immutable; it was not changed',
    );
  }
  return notes;
}

function withNotes<T extends object>(plan: T, notes: string[]): T & { notes?: string[] } {
  return notes.length > 0 ? { ...plan, notes } : plan;
}

function rejected(reason: string, policyArn?: string): NoWritePlan {
  return { kind: 'none', outcome: 'rejected', reason, ...(policyArn ? { policyArn } : {}) };
}

/** Why the service must not write this existing policy, or undefined when it may. */
function refusalFor(event: PolicyEvent, policy: ObservedPolicy): string | undefined {
  // Adoption is for upserts only: a delete never takes a policy the service does not own yet.
  const adopting = !policy.owned && policy.adoptable === true && event.type === 'iam.policy.upsert';
  if (!policy.owned && !adopting) {
    return `policy ${policy.name} is not managed by this service (no managed-by tag); it is left untouched`;
  }
  const wantedPath = event.path || '/';
  if (policy.path !== wantedPath) {
    return (
      `policy ${policy.name} exists at path ${policy.path}, but the event names path ${wantedPath}: ` +
      'IAM cannot move a policy to another path, and policy names are unique per account in any path'
    );
  }
  return undefined;
}

function planUpsert(event: PolicyEvent, policy: ObservedPolicy, document: PolicyDocument): PolicyPlan {
  const notes = notesFor(event, policy);
  const adopt = !policy.owned;
  if (adopt) {
    notes.push(
      `policy ${policy.name} had no managed-by tag and was adopted (adoption of unmanaged policies is enabled): ` +
        'the tag was added and the service manages it from now on',
    );
  }
  // Without an observed document equality cannot be proven: write it (applyPlan still avoids duplicates).
  const documentChanged = policy.document === undefined || !documentsEqual(policy.document, document);
  // Absent event tags mean: leave the policy's tags alone.
  const tagDiff = event.tags ? diffTags(policy.tags, event.tags) : { tagsToSet: {}, tagKeysToRemove: [] };
  const tagsChanged = Object.keys(tagDiff.tagsToSet).length > 0 || tagDiff.tagKeysToRemove.length > 0;

  if (!documentChanged && !tagsChanged && !adopt) {
    return withNotes(
      {
        kind: 'none',
        outcome: 'unchanged',
        policyArn: policy.arn,
        versionId: policy.defaultVersionId,
      } as const,
      notes,
    );
  }
  return withNotes(
    {
      kind: 'update',
      policyArn: policy.arn,
      observedDefaultVersionId: policy.defaultVersionId,
      ...(documentChanged ? { document } : {}),
      ...tagDiff,
      ...(adopt ? { adopt: true } : {}),
    } as const,
    notes,
  );
}

/** Decides what one event does to the policy as observed. */
export function planEvent(event: PolicyEvent, observation: PolicyObservation): PolicyPlan {
  const path = event.path || '/';
  if (event.type === 'iam.policy.upsert') {
    const document = event.document;
    if (document === undefined) return rejected('an upsert event must carry a policy document');
    if (!observation.exists) {
      return {
        kind: 'create',
        policyName: event.policyName,
        path,
        document,
        ...(event.description !== undefined ? { description: event.description } : {}),
        tags: event.tags ?? {},
      };
    }
    const refusal = refusalFor(event, observation.policy);
    if (refusal) return rejected(refusal, observation.policy.arn);
    return planUpsert(event, observation.policy, document);
  }

  if (!observation.exists) return { kind: 'none', outcome: 'absent' };
  const refusal = refusalFor(event, observation.policy);
  if (refusal) return rejected(refusal, observation.policy.arn);
  return { kind: 'delete', policyArn: observation.policy.arn };
}
