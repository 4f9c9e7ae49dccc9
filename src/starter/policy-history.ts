// `starter policy NAME --history`: the policy's versions, each with the event that made it, read from the
// audit record in IAM (src/domain/audit-tags.ts). A digest is named when the policy workflow's recent
// results (its last 200) hold the event; otherwise `starter status` or the workflow ID finds it.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { auditRecord, type AuditedEvent } from '../domain/audit-tags';
import { policyWorkflowId } from '../domain/ids';
import { findPolicy } from '../iam/observe';
import { listPolicyVersions } from '../iam/reads';
import { policyStateQuery } from '../messages/workflow-messages';
import { eventDigest } from '../temporal/event-identity';
import type { IamReadDeps } from './policy-report';

/** Who made a version: an event by (source, id), an event known by its digest only, or not the service. */
export type VersionMaker =
  | { kind: 'event'; source: string; id: string }
  | { kind: 'digest'; digest: string; source?: string; id?: string }
  | { kind: 'not-the-service' };

export interface VersionRecord {
  versionId: string;
  isDefault: boolean;
  createDate?: string;
  madeBy: VersionMaker;
}

export type PolicyHistory = { policyName: string; account?: string } & (
  { exists: false } | { exists: true; arn: string; owned: boolean; versions: VersionRecord[] }
);

/** The (source, id) of each recent result of the policy workflow, by digest: names the digests it can. */
async function recentEventsByDigest(
  client: Client,
  policyName: string,
  account: string | undefined,
): Promise<Map<string, { source: string; id: string }>> {
  const byDigest = new Map<string, { source: string; id: string }>();
  const handle = client.workflow.getHandle(policyWorkflowId(policyName, account));
  try {
    // Only a running workflow is asked: a closed one would need a worker to replay it.
    if ((await handle.describe()).status.name !== 'RUNNING') return byDigest;
    for (const { result } of (await handle.query(policyStateQuery)).recent) {
      byDigest.set(eventDigest(result.source, result.id), { source: result.source, id: result.id });
    }
  } catch (error) {
    // No policy workflow: the digests stay digests.
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  return byDigest;
}

function makerOf(
  event: AuditedEvent | undefined,
  recent: Map<string, { source: string; id: string }>,
): VersionMaker {
  if (event === undefined) return { kind: 'not-the-service' };
  if ('digest' in event) {
    const known = recent.get(event.digest);
    return { kind: 'digest', digest: event.digest, ...(known ?? {}) };
  }
  return { kind: 'event', source: event.source, id: event.id };
}

/**
 * The policy's versions, oldest first, with the event that made each. IAM and Temporal are only read:
 * `deps` read the policy's account, `account` is its key (undefined: the default account).
 */
export async function policyHistory(
  client: Client,
  deps: IamReadDeps,
  policyName: string,
  path = '/',
  account?: string,
): Promise<PolicyHistory> {
  const inAccount = account !== undefined ? { account } : {};
  const policy = await findPolicy(deps, policyName, path);
  if (!policy?.Arn) return { policyName, ...inAccount, exists: false };
  const tags = Object.fromEntries((policy.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const owned = (policy.Tags ?? []).some(
    (tag) =>
      (tag.Key ?? '').toLowerCase() === deps.managedByTag.key.toLowerCase() &&
      tag.Value === deps.managedByTag.value,
  );
  const [versions, recent] = await Promise.all([
    listPolicyVersions(deps.iam, policy.Arn),
    recentEventsByDigest(client, policyName, account),
  ]);
  const record = auditRecord(tags);
  return {
    policyName: policy.PolicyName ?? policyName,
    ...inAccount,
    exists: true,
    arn: policy.Arn,
    owned,
    versions: versions.map((version) => ({
      versionId: version.versionId,
      isDefault: version.isDefault,
      ...(version.createDate ? { createDate: version.createDate } : {}),
      madeBy: makerOf(record.get(version.versionId), recent),
    })),
  };
}

function describeMaker(maker: VersionMaker): string {
  switch (maker.kind) {
    case 'event':
      return `${maker.source} ${maker.id}`;
    case 'digest':
      return maker.source !== undefined
        ? `${maker.source} ${maker.id ?? ''} (sha256:${maker.digest})`
        : `sha256:${maker.digest} (not among the policy workflow's recent events: see docs/operating.md)`;
    case 'not-the-service':
      return 'not made by this service (no audit tag)';
  }
}

/** The history as a person reads it: one line per version, newest first. */
export function renderPolicyHistory(history: PolicyHistory): string {
  const where = history.account !== undefined ? ` in account ${history.account}` : '';
  if (!history.exists) return `policy ${history.policyName}: not in IAM${where}\n`;
  const rows = [...history.versions]
    .reverse()
    .map((version) => [
      version.versionId,
      version.isDefault ? 'default' : '',
      version.createDate ?? '',
      describeMaker(version.madeBy),
    ]);
  const header = ['version', '', 'created', 'made by the event'];
  const widths = header.map((_, column) =>
    Math.max(...[header, ...rows].map((row) => (row[column] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ');
  const owner = history.owned ? '' : ' (not managed by this service)';
  return (
    [`policy ${history.policyName}${where}${owner}: ${history.arn}`, line(header), ...rows.map(line)].join(
      '\n',
    ) + '\n'
  );
}
