// One decision per event: from the event and one observation of IAM, either the final outcome (nothing to
// write) or the write to make. Pure and deterministic: the policy workflow runs it in workflow code, so the
// decision is recorded in history and a retried write never decides anew; the dry run runs it as it is.
// The activities only observe and carry out.
import { documentsEqual } from './document';
import { documentSizeProblem, upsertDocumentProblem } from './document-rules';
import {
  checkGuardrails,
  describeViolations,
  type GuardrailConfig,
  type GuardrailViolation,
  type PolicyGuards,
} from './guardrails';
import type { PolicyDocument, PolicyEntity, PolicyEvent } from './types';

/** A customer-managed policy as IAM showed it. */
export interface ObservedPolicy {
  arn: string;
  /** The name as IAM spells it (may differ in case from the event's). */
  name: string;
  path: string;
  defaultVersionId: string;
  /**
   * The default version's document; read for upserts only. An observation compared where it was made
   * (`compareWith`, src/domain/observation-record.ts) has `documentMatches` and `documentHash` instead.
   */
  document?: PolicyDocument;
  /** Whether the default version means the same policy as the document the observation was compared with. */
  documentMatches?: boolean;
  /** documentHash() of the default version's document, for the read fence (src/domain/read-fence.ts). */
  documentHash?: string;
  description?: string;
  /** The policy's tags WITHOUT the managed-by tag and the audit record (src/domain/audit-tags.ts). */
  tags: Record<string, string>;
  /** Carries this service's managed-by tag: only such policies are ever written (or adopted, see guards). */
  owned: boolean;
  /** When IAM created it (ms since the epoch): tells a policy created again from the one deleted before. */
  createdAt?: number;
}

/** Who uses the policy, as IAM listed it for a delete, and when the listing began (the worker's clock, ms). */
export interface PolicyUsage {
  entities: PolicyEntity[];
  listedAt: number;
}

/**
 * The observing worker's guards, so that the decision in history follows its configuration: with the
 * guardrails themselves, or (compared where observed) with what they found in the event's document.
 */
export type ObservedGuards = Omit<PolicyGuards, 'guardrails'> &
  (
    | { guardrails: GuardrailConfig }
    /** The rules the compared document breaks (none for a delete). */
    | { violations: GuardrailViolation[] }
  );

/** What the policy activity observed for one event, with the observing worker's rules to decide by. */
export type PolicyObservation = (
  | { exists: false }
  /** `usage`: for a delete of a policy the service may delete (owned, at the event's path). */
  | { exists: true; policy: ObservedPolicy; usage?: PolicyUsage }
) & {
  guards: ObservedGuards;
};

/**
 * The account an observation or a write is in: absent for the worker's default account (then the field
 * is left out, so activity inputs stay as they were before accounts).
 */
interface InAccount {
  account?: string;
}

/** What to observe for an event. */
export interface ObservePolicyInput extends InAccount {
  policyName: string;
  path: string;
  /** Read the default version's document (upserts). */
  readDocument: boolean;
  /** List the users, groups and roles using the policy, boundaries included (deletes). */
  listEntities: boolean;
  /**
   * Set by the policy workflow, which records the observation in its history: compare it where it is made
   * with the upsert's document (none for a delete), and record the verdicts, not the document and the
   * guardrails (src/domain/observation-record.ts).
   */
  compareWith?: { document?: PolicyDocument };
}

/** A final outcome: nothing is written. */
export interface NoWrite {
  kind: 'none';
  outcome: 'unchanged' | 'absent' | 'rejected' | 'retained-in-use' | 'delete-pending';
  reason?: string;
  policyArn?: string;
  versionId?: string;
  /** For retained-in-use and delete-pending: who uses the policy. */
  entities?: PolicyEntity[];
  /** For a rejection by the guardrails: each rule broken (the reason names them too). */
  violations?: GuardrailViolation[];
  notes?: string[];
}

export interface CreatePlan extends InAccount {
  kind: 'create';
  policyName: string;
  path: string;
  document: PolicyDocument;
  description?: string;
  /** Tags from the event; the activity adds the managed-by tag. */
  tags: Record<string, string>;
}

export interface UpdatePlan extends InAccount {
  kind: 'update';
  policyArn: string;
  /** The default version when observed: a retry uses it to recognise its own earlier write. */
  observedDefaultVersionId: string;
  /** Present only when the content differs. */
  document?: PolicyDocument;
  tagsToSet: Record<string, string>;
  tagKeysToRemove: string[];
  /** The policy has no managed-by tag and is adopted: tag it before anything else. */
  adopt?: boolean;
  notes?: string[];
}

export interface DeletePlan extends InAccount {
  kind: 'delete';
  policyArn: string;
  /** When the observation found nothing using the policy; absent or old, the carry-out asks IAM again. */
  unusedSince?: number;
}

export type WritePlan = CreatePlan | UpdatePlan | DeletePlan;
export type Decision = NoWrite | WritePlan;

/** What to observe for `event`: the document for an upsert, the entities using the policy for a delete. */
export function observationInput(event: PolicyEvent): ObservePolicyInput {
  const upsert = event.type === 'iam.policy.upsert';
  return {
    policyName: event.policyName,
    ...(event.account !== undefined ? { account: event.account } : {}),
    path: event.path || '/',
    readDocument: upsert,
    listEntities: !upsert,
    compareWith: upsert && event.document !== undefined ? { document: event.document } : {},
  };
}

/**
 * The decision when it does not depend on IAM (an upsert whose document IAM would refuse), or undefined.
 * decide() starts with it; the workflow and the dry run ask it first so that such an event costs no IAM read.
 */
export function decideWithoutObserving(event: PolicyEvent): NoWrite | undefined {
  const problem = upsertDocumentProblem(event);
  return problem ? rejected(problem) : undefined;
}

/** What the decision needs beyond the event and the observation. */
export interface DecisionContext {
  /**
   * A delete of a policy in use waits until it is unused (the event's data.waitUntilUnused, else the
   * worker's default: src/domain/deferred-deletion.ts): `delete-pending` instead of `retained-in-use`.
   */
  waitUntilUnused?: boolean;
}

/** Decides what one event does to the policy as observed; a write is in the event's account. */
export function decide(
  event: PolicyEvent,
  observation: PolicyObservation,
  context: DecisionContext = {},
): Decision {
  const decision = decideInAccount(event, observation, context);
  if (decision.kind === 'none' || event.account === undefined) return decision;
  return { ...decision, account: event.account };
}

function decideInAccount(
  event: PolicyEvent,
  observation: PolicyObservation,
  context: DecisionContext,
): Decision {
  const early = decideWithoutObserving(event);
  if (early) return early;
  const path = event.path || '/';
  if (event.type === 'iam.policy.upsert') {
    // Checked by decideWithoutObserving; repeated for the type checker.
    const document = event.document;
    if (document === undefined) return rejected('an upsert event must carry a policy document');
    if (!observation.exists) {
      return guarded(observation.guards, document, {
        kind: 'create',
        policyName: event.policyName,
        path,
        document,
        ...(event.description !== undefined ? { description: event.description } : {}),
        tags: event.tags ?? {},
      });
    }
    const { policy } = observation;
    const refusal = refusalFor(event, policy, observation.guards);
    if (refusal) return rejected(refusal, policy.arn);
    const decision = decideUpsert(event, policy, document);
    return decision.kind === 'update' && decision.document
      ? guarded(observation.guards, decision.document, decision)
      : decision;
  }

  if (!observation.exists) return { kind: 'none', outcome: 'absent' };
  const { policy, usage } = observation;
  const refusal = refusalFor(event, policy, observation.guards);
  if (refusal) return rejected(refusal, policy.arn);
  if (usage && usage.entities.length > 0) {
    const outcome = context.waitUntilUnused ? 'delete-pending' : 'retained-in-use';
    return { kind: 'none', outcome, policyArn: policy.arn, entities: usage.entities };
  }
  return { kind: 'delete', policyArn: policy.arn, ...(usage ? { unusedSince: usage.listedAt } : {}) };
}

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

function rejected(reason: string, policyArn?: string): NoWrite {
  return { kind: 'none', outcome: 'rejected', reason, ...(policyArn ? { policyArn } : {}) };
}

/**
 * The write, unless IAM would refuse the document's size or the guardrails forbid it (fail-closed:
 * rejected).
 */
function guarded<T extends CreatePlan | UpdatePlan>(
  guards: ObservedGuards,
  document: PolicyDocument,
  plan: T,
): T | NoWrite {
  // Only a document that is written must fit IAM's limit, measured on what would be sent.
  const tooLarge = documentSizeProblem(document);
  if (tooLarge) return rejected(`invalid policy document: ${tooLarge}`);
  // The document is the event's in both cases: the one the observation was compared with.
  const violations =
    'violations' in guards ? guards.violations : checkGuardrails(document, guards.guardrails);
  if (violations.length === 0) return plan;
  return { kind: 'none', outcome: 'rejected', reason: describeViolations(violations), violations };
}

/** Why the service must not write this existing policy, or undefined when it may. */
function refusalFor(event: PolicyEvent, policy: ObservedPolicy, guards: ObservedGuards): string | undefined {
  // Adoption is for upserts only: a delete never takes a policy the service does not own yet.
  const adopting = !policy.owned && guards.adoptUnmanaged && event.type === 'iam.policy.upsert';
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

function notesFor(event: PolicyEvent, policy: ObservedPolicy): string[] {
  const notes: string[] = [];
  if (policy.name !== event.policyName) {
    notes.push(
      `the policy is named "${policy.name}" in IAM; policy names are case-insensitive, so this event applies to it`,
    );
  }
  const current = policy.description ?? '';
  if (event.description !== undefined && event.description !== current) {
    notes.push(
      `description differs (policy: ${JSON.stringify(current)}, event: ${JSON.stringify(event.description)}): ` +
        'IAM policy descriptions are immutable; it was not changed',
    );
  }
  return notes;
}

function withNotes<T extends object>(decision: T, notes: string[]): T & { notes?: string[] } {
  return notes.length > 0 ? { ...decision, notes } : decision;
}

function decideUpsert(event: PolicyEvent, policy: ObservedPolicy, document: PolicyDocument): Decision {
  const notes = notesFor(event, policy);
  const adopt = !policy.owned;
  if (adopt) {
    notes.push(
      `policy ${policy.name} had no managed-by tag and was adopted (adoption of unmanaged policies is enabled): ` +
        'the tag was added and the service manages it from now on',
    );
  }
  const documentChanged = !sameDocument(policy, document);
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

/** Whether the policy's default version means the same as `document` (the event's). */
function sameDocument(policy: ObservedPolicy, document: PolicyDocument): boolean {
  // Compared where observed, with the event's document.
  if (policy.documentMatches !== undefined) return policy.documentMatches;
  // Without an observed document equality cannot be proven: write it (the carry-out still avoids duplicates).
  return policy.document !== undefined && documentsEqual(policy.document, document);
}
