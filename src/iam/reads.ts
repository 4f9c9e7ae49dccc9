// Read-only IAM calls, shaped for the activities. Errors pass through unchanged, except NoSuchEntity
// where "not there" is an answer (undefined).
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  paginateListEntitiesForPolicy,
  paginateListPolicies,
  paginateListPolicyVersions,
  type IAMClient,
  type Policy,
  type PolicyUsageType,
} from '@aws-sdk/client-iam';
import { decodePolicyDocument } from '../domain/document';
import type { PolicyDocument, PolicyEntity } from '../domain/types';
import { isNoSuchEntity } from './errors';

/** ListPolicies' largest page: one call covers the default quota of 1,500 policies in two. */
const LIST_POLICIES_PAGE_SIZE = 1000;

export function policyArnFor(accountId: string, path: string, policyName: string): string {
  return `arn:aws:iam::${accountId}:policy${path}${policyName}`;
}

/** The policy with its tags and description, or undefined when there is none at this ARN. */
export async function getPolicy(iam: IAMClient, policyArn: string): Promise<Policy | undefined> {
  try {
    const { Policy: policy } = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
    return policy;
  } catch (error) {
    if (isNoSuchEntity(error)) return undefined;
    throw error;
  }
}

/** One version's document, decoded (real IAM URL-encodes it, moto does not). */
export async function getPolicyVersionDocument(
  iam: IAMClient,
  policyArn: string,
  versionId: string,
): Promise<PolicyDocument> {
  const { PolicyVersion: version } = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }),
  );
  if (version?.Document === undefined) {
    throw new Error(`GetPolicyVersion returned no document for ${policyArn} ${versionId}`);
  }
  return decodePolicyDocument(version.Document);
}

export interface PolicyVersionSummary {
  versionId: string;
  isDefault: boolean;
  /** The number in "v7": IAM numbers versions in creation order, never reusing one. */
  number: number;
  /** When IAM made the version (ISO 8601). */
  createDate?: string;
}

/** The number in a version ID ("v7" → 7): IAM numbers versions in creation order, never reusing one. */
export function versionNumber(versionId: string): number {
  return Number.parseInt(versionId.replace(/^v/, ''), 10);
}

/** The policy's versions, oldest first. ListPolicyVersions carries no documents on real IAM. */
export async function listPolicyVersions(iam: IAMClient, policyArn: string): Promise<PolicyVersionSummary[]> {
  const versions: PolicyVersionSummary[] = [];
  for await (const page of paginateListPolicyVersions({ client: iam }, { PolicyArn: policyArn })) {
    for (const version of page.Versions ?? []) {
      if (!version.VersionId) continue;
      versions.push({
        versionId: version.VersionId,
        isDefault: version.IsDefaultVersion === true,
        number: versionNumber(version.VersionId),
        ...(version.CreateDate ? { createDate: version.CreateDate.toISOString() } : {}),
      });
    }
  }
  return versions.sort((a, b) => a.number - b.number);
}

async function listEntitiesByUsage(
  iam: IAMClient,
  policyArn: string,
  filter: PolicyUsageType,
): Promise<PolicyEntity[]> {
  const usage = filter === 'PermissionsBoundary' ? 'permissions-boundary' : 'permissions-policy';
  const entities: PolicyEntity[] = [];
  const pages = paginateListEntitiesForPolicy(
    { client: iam },
    { PolicyArn: policyArn, PolicyUsageFilter: filter },
  );
  for await (const page of pages) {
    for (const user of page.PolicyUsers ?? [])
      entities.push({ kind: 'user', name: user.UserName ?? '', usage });
    for (const role of page.PolicyRoles ?? [])
      entities.push({ kind: 'role', name: role.RoleName ?? '', usage });
    // Groups cannot have a permissions boundary; moto ignores the filter and would list them again.
    if (usage === 'permissions-policy') {
      for (const group of page.PolicyGroups ?? [])
        entities.push({ kind: 'group', name: group.GroupName ?? '', usage });
    }
  }
  return entities;
}

/**
 * Every user, group and role that uses the policy, as a permissions policy or as a permissions
 * boundary. Asked of IAM rather than read from AttachmentCount, which leaves out boundaries.
 */
export async function listPolicyEntities(iam: IAMClient, policyArn: string): Promise<PolicyEntity[]> {
  const attached = await listEntitiesByUsage(iam, policyArn, 'PermissionsPolicy');
  const boundaries = await listEntitiesByUsage(iam, policyArn, 'PermissionsBoundary');
  return [...attached, ...boundaries];
}

/**
 * The customer-managed policy whose name equals `policyName` ignoring case, in any path. Real IAM keeps
 * names unique per account that way; moto does not, so among several the exact spelling wins, then the
 * first ARN in sort order.
 */
export async function findLocalPolicyByName(iam: IAMClient, policyName: string): Promise<Policy | undefined> {
  const wanted = policyName.toLowerCase();
  const matches: Policy[] = [];
  const pages = paginateListPolicies({ client: iam, pageSize: LIST_POLICIES_PAGE_SIZE }, { Scope: 'Local' });
  for await (const page of pages) {
    for (const policy of page.Policies ?? []) {
      if (policy.PolicyName?.toLowerCase() === wanted) matches.push(policy);
    }
  }
  const rank = (policy: Policy) => `${policy.PolicyName === policyName ? 0 : 1}${policy.Arn ?? ''}`;
  matches.sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
  return matches[0];
}
