// Writing and reading the audit record (src/domain/audit-tags.ts): the tag naming the event that made a
// version, set right after the version is made and removed right before the version is deleted. The record
// never fails a write: a tag IAM will not take (the policy already has 50 tags) becomes a note.
import {
  ListPolicyTagsCommand,
  TagPolicyCommand,
  UntagPolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { auditTagKey, staleAuditTagKeys } from '../domain/audit-tags';
import type { IamAction } from '../domain/types';
import { isLimitExceeded } from './errors';
import { listPolicyVersions } from './reads';

/** Every tag of the policy (ListPolicyTags), the managed-by tag and the audit record included. */
export async function listPolicyTags(iam: IAMClient, policyArn: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListPolicyTagsCommand({ PolicyArn: policyArn, Marker: marker }));
    for (const tag of page.Tags ?? []) tags[tag.Key ?? ''] = tag.Value ?? '';
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return tags;
}

async function tagVersion(iam: IAMClient, policyArn: string, versionId: string, value: string) {
  await iam.send(
    new TagPolicyCommand({ PolicyArn: policyArn, Tags: [{ Key: auditTagKey(versionId), Value: value }] }),
  );
}

/**
 * Records that the event named by `value` made `versionId`. Tagging again (a retry) changes nothing. At
 * IAM's 50 tags, the audit tags of versions that are gone (deleted outside the service) are removed and
 * the tag is set again; when the policy is still full, the record is left out and a note says so.
 */
export async function recordVersion(
  iam: IAMClient,
  policyArn: string,
  versionId: string,
  value: string,
  actions: IamAction[],
  notes: string[],
): Promise<void> {
  const key = auditTagKey(versionId);
  try {
    await tagVersion(iam, policyArn, versionId, value);
  } catch (error) {
    if (!isLimitExceeded(error)) throw error;
    const [tags, versions] = await Promise.all([
      listPolicyTags(iam, policyArn),
      listPolicyVersions(iam, policyArn),
    ]);
    const stale = staleAuditTagKeys(
      tags,
      versions.map((version) => version.versionId),
    );
    if (stale.length > 0) {
      await iam.send(new UntagPolicyCommand({ PolicyArn: policyArn, TagKeys: stale }));
      actions.push({ action: 'UntagPolicy', detail: `${stale.join(', ')} (versions no longer there)` });
    }
    try {
      if (stale.length === 0) throw error;
      await tagVersion(iam, policyArn, versionId, value);
    } catch (again) {
      if (!isLimitExceeded(again)) throw again;
      notes.push(
        `the audit tag ${key} naming this event was not set: the policy has IAM's 50 tags; ` +
          'the event that made the version is in its event workflow only',
      );
      return;
    }
  }
  actions.push({ action: 'TagPolicy', versionId, detail: key });
}

/**
 * Removes the audit tag of a version about to be deleted, before the version goes: a deletion that
 * stops half way leaves a version without its record, never a record of no version (which would take
 * one of the policy's 50 tags). Removing a tag the policy does not have is no error in IAM.
 */
export async function forgetVersion(
  iam: IAMClient,
  policyArn: string,
  versionId: string,
  actions: IamAction[],
): Promise<void> {
  const key = auditTagKey(versionId);
  await iam.send(new UntagPolicyCommand({ PolicyArn: policyArn, TagKeys: [key] }));
  actions.push({ action: 'UntagPolicy', versionId, detail: key });
}
