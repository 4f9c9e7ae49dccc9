// One observation of a policy for decide(): the policy as IAM has it, its document for an upsert, and
// who uses it for a delete. Read-only; IAM errors pass through (the activity sorts them).
import type { IAMClient, Policy } from '@aws-sdk/client-iam';
import type { ObservedPolicy, ObservePolicyInput, PolicyObservation } from '../domain/decide';
import { withoutServiceTags } from '../domain/audit-tags';
import type { PolicyGuards } from '../domain/guardrails';
import {
  findLocalPolicyByName,
  getPolicy,
  getPolicyVersionDocument,
  listPolicyEntities,
  policyArnFor,
} from './reads';

export interface ManagedByTag {
  key: string;
  value: string;
}

/** Where and as whom the service works in IAM. */
export interface IamContext {
  iam: IAMClient;
  accountId: () => Promise<string>;
  /** The tag that marks policies this service owns; policies without it are never written. */
  managedByTag: ManagedByTag;
}

/** IAM tag keys are case-insensitive, so "Managed-By" is the same key as "managed-by". */
export function isManagedByKey(managedByTag: ManagedByTag, key: string): boolean {
  return key.toLowerCase() === managedByTag.key.toLowerCase();
}

export function withoutManagedByKey(
  managedByTag: ManagedByTag,
  tags: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => !isManagedByKey(managedByTag, key)));
}

/**
 * The tags an event's `tags` are compared with: without the managed-by tag and the service's audit
 * record (src/domain/audit-tags.ts), which the service sets itself.
 */
export function userTags(managedByTag: ManagedByTag, tags: Record<string, string>): Record<string, string> {
  return withoutServiceTags(withoutManagedByKey(managedByTag, tags));
}

/** The policy named `policyName` ignoring case, at `path` or, failing that, in any path. */
export async function findPolicy(
  context: IamContext,
  policyName: string,
  path: string,
): Promise<Policy | undefined> {
  const { iam } = context;
  const exact = await getPolicy(iam, policyArnFor(await context.accountId(), path, policyName));
  if (exact) return exact;
  // IAM names are unique per account ignoring case and path; only a scan finds the other spellings.
  const listed = await findLocalPolicyByName(iam, policyName);
  return listed?.Arn ? getPolicy(iam, listed.Arn) : undefined;
}

/** A policy GetPolicy returned, with its default document when asked for. */
export async function describePolicy(
  context: IamContext,
  policy: Policy,
  readDocument: boolean,
): Promise<ObservedPolicy> {
  const { managedByTag } = context;
  const { Arn: arn, PolicyName: name, Path: path, DefaultVersionId: defaultVersionId } = policy;
  if (!arn || !name || !path || !defaultVersionId) {
    throw new Error(`GetPolicy returned an incomplete policy: ${JSON.stringify(policy)}`);
  }
  const allTags = Object.fromEntries((policy.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const owned = Object.entries(allTags).some(
    ([key, value]) => isManagedByKey(managedByTag, key) && value === managedByTag.value,
  );
  return {
    arn,
    name,
    path,
    defaultVersionId,
    ...(readDocument ? { document: await getPolicyVersionDocument(context.iam, arn, defaultVersionId) } : {}),
    ...(policy.Description ? { description: policy.Description } : {}),
    tags: userTags(managedByTag, allTags),
    owned,
    ...(policy.CreateDate ? { createdAt: policy.CreateDate.getTime() } : {}),
  };
}

/** Observes the policy for one event; `guards` are the worker's rules, passed on for decide(). */
export async function observePolicy(
  context: IamContext,
  input: ObservePolicyInput,
  guards: PolicyGuards,
): Promise<PolicyObservation> {
  const found = await findPolicy(context, input.policyName, input.path);
  if (!found) return { exists: false, guards };
  const policy = await describePolicy(context, found, input.readDocument);
  // Only a policy the service may delete needs its users listed: any other delete is refused first.
  if (!input.listEntities || !policy.owned || policy.path !== input.path) {
    return { exists: true, policy, guards };
  }
  const listedAt = Date.now();
  const entities = await listPolicyEntities(context.iam, policy.arn);
  return { exists: true, policy, usage: { entities, listedAt }, guards };
}
