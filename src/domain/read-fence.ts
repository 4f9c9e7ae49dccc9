// The read-your-writes fence. IAM's reads are eventually consistent: right after a write a read may still
// show the state from before it (NoSuchEntity after CreatePolicy, the old default after a new version, the
// policy after DeletePolicy). The policy workflow is the only writer of its policy, so it knows what its
// last write left; an observation that shows less is older than that write and must not be decided on.
// Pure and deterministic (runs in workflow code); the fence is plain JSON (carried across continue-as-new).
import type { ObservedPolicy, PolicyObservation, WritePlan } from './decide';
import { normalForm } from './document';
import type { PolicyDocument } from './types';

/** Terraform's AWS provider retries reads of IAM objects it just wrote for up to 2 minutes. */
export const DEFAULT_CONSISTENCY_WAIT_MS = 120_000;

/** What the policy workflow's last write left in IAM, as far as reads must show it. */
export interface ReadFence {
  exists: boolean;
  /** The default version it left (absent after a delete). */
  defaultVersionId?: string;
  /** documentHash() of the default version's document. */
  documentHash?: string;
  /** The tags without the managed-by tag; absent when unknown. */
  tags?: Record<string, string>;
  /** Workflow time of the write, ms: past the wait bound a difference is someone else's change, not lag. */
  writtenAt: number;
  /** When IAM created the policy (after a delete: the deleted one), ms; a later one is another policy. */
  createdAt?: number;
}

/** FNV-1a, 32 bits, from `seed`: two of them name a normal form in 16 hex digits. */
function fnv1a(text: string, seed: number): string {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** A short name of a document's normal form: equal for documents that mean the same policy. */
export function documentHash(document: PolicyDocument): string {
  return normalFormHash(normalForm(document));
}

/** documentHash() of a normal form already worked out (normalForm). */
export function normalFormHash(normal: string): string {
  return `${fnv1a(normal, 0x811c9dc5)}${fnv1a(normal, 0x01000193)}`;
}

/** The hash of the observed default version's document: recorded (observation-record.ts) or worked out. */
function observedDocumentHash(policy: ObservedPolicy): string | undefined {
  if (policy.documentHash !== undefined) return policy.documentHash;
  return policy.document !== undefined ? documentHash(policy.document) : undefined;
}

function versionNumber(versionId: string): number {
  return Number.parseInt(versionId.replace(/^v/, ''), 10);
}

/** IAM tag keys are case-insensitive (which spelling a TagPolicy over another spelling keeps is not said). */
function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const lower = (tags: Record<string, string>) =>
    new Map(Object.entries(tags).map(([key, value]) => [key.toLowerCase(), value]));
  const [left, right] = [lower(a), lower(b)];
  return left.size === right.size && [...left].every(([key, value]) => right.get(key) === value);
}

/**
 * Why `observation` shows IAM as it was before the fenced write, or undefined when it shows that write (or
 * something newer). Version numbers only grow, so a lower default version is older; the same version with
 * another document, or other tags, is an older read too (only this workflow writes them).
 */
export function staleness(fence: ReadFence, observation: PolicyObservation): string | undefined {
  if (!observation.exists) {
    return fence.exists ? 'IAM does not show the policy this workflow created' : undefined;
  }
  const { policy } = observation;
  if (!fence.exists) {
    // Created after the deleted one: a new policy (an earlier attempt of this event may have made it).
    const newer =
      fence.createdAt !== undefined && policy.createdAt !== undefined && policy.createdAt > fence.createdAt;
    // Only this service creates owned policies: an owned one still showing is the deleted one.
    return policy.owned && !newer ? 'IAM still shows the policy this workflow deleted' : undefined;
  }
  if (fence.defaultVersionId === undefined) return undefined;
  const seen = versionNumber(policy.defaultVersionId);
  const written = versionNumber(fence.defaultVersionId);
  if (seen < written) {
    return `IAM shows default version ${policy.defaultVersionId}, older than ${fence.defaultVersionId} which this workflow set`;
  }
  if (seen > written) return undefined;
  const seenHash = observedDocumentHash(policy);
  if (fence.documentHash !== undefined && seenHash !== undefined && seenHash !== fence.documentHash) {
    return `IAM shows another document in ${policy.defaultVersionId} than this workflow wrote`;
  }
  if (fence.tags !== undefined && !sameTags(fence.tags, policy.tags)) {
    return 'IAM shows other tags than this workflow set';
  }
  return undefined;
}

/** What to do with an observation, given the fence, the time now and when this event first saw it stale. */
export type FenceVerdict =
  { kind: 'decide' } | { kind: 'wait'; ms: number; reason: string } | { kind: 'give-up'; reason: string };

/**
 * Decide on a fresh observation; wait and observe again while a stale one can still be lag (within
 * `boundMs` of the fenced write); give up when this event saw it stale until the bound passed. A
 * difference first seen after the bound is someone else's change: decided on, like any observation.
 */
export function fenceVerdict(
  fence: ReadFence | undefined,
  observation: PolicyObservation,
  now: number,
  boundMs: number,
  waits: number,
): FenceVerdict {
  const reason = fence && staleness(fence, observation);
  if (!fence || !reason) return { kind: 'decide' };
  const left = fence.writtenAt + boundMs - now;
  if (left <= 0) {
    return waits === 0
      ? { kind: 'decide' }
      : {
          kind: 'give-up',
          reason:
            `${reason}, still ${Math.round((now - fence.writtenAt) / 1000)} s after that write ` +
            `(the wait for IAM's eventual consistency is ${Math.round(boundMs / 1000)} s): nothing was written; ` +
            'resubmit the event to apply it against what IAM shows then',
        };
  }
  // 1, 2, 4, 8, 16 s: most lag is over in seconds, and the bound is minutes.
  const backoff = Math.min(1000 * 2 ** Math.min(waits, 4), 16_000);
  return { kind: 'wait', ms: Math.max(1, Math.min(backoff, left)), reason };
}

/**
 * The fence after a write carried out as `plan` against `observation` ended in `outcome`; the previous
 * fence when the outcome wrote nothing the reads must show.
 */
export function fenceAfterWrite(
  previous: ReadFence | undefined,
  plan: WritePlan,
  observation: PolicyObservation,
  written: { outcome: string; versionId?: string },
  now: number,
): ReadFence | undefined {
  if (written.outcome === 'deleted') {
    const createdAt = observation.exists ? observation.policy.createdAt : undefined;
    return { exists: false, writtenAt: now, ...(createdAt !== undefined ? { createdAt } : {}) };
  }
  if (written.outcome !== 'created' && written.outcome !== 'updated') return previous;
  if (plan.kind === 'create') {
    return {
      exists: true,
      ...(written.versionId ? { defaultVersionId: written.versionId } : {}),
      documentHash: documentHash(plan.document),
      tags: { ...plan.tags },
      writtenAt: now,
    };
  }
  if (plan.kind !== 'update' || !observation.exists) return undefined;
  const { policy } = observation;
  const hash = plan.document ? documentHash(plan.document) : observedDocumentHash(policy);
  const createdAt = policy.createdAt;
  const tags = Object.fromEntries(
    Object.entries(policy.tags).filter(([key]) => !plan.tagKeysToRemove.includes(key)),
  );
  return {
    exists: true,
    ...(written.versionId ? { defaultVersionId: written.versionId } : {}),
    ...(hash !== undefined ? { documentHash: hash } : {}),
    tags: { ...tags, ...plan.tagsToSet },
    writtenAt: now,
    ...(createdAt !== undefined ? { createdAt } : {}),
  };
}

/**
 * The fence after the write `plan` failed: what IAM holds is known only as far as no part of that write
 * could have changed it. A failed create or delete leaves the fence as it was (a create makes a new
 * policy, newer than any this workflow deleted; a delete changes neither the default version nor the
 * tags of a policy it did not delete). A failed update may have changed the tags and made a newer
 * version, never an older one: the default version stays a lower bound (with its document, which never
 * changes within a version), the tags are unknown.
 */
export function fenceAfterFailure(previous: ReadFence | undefined, plan: WritePlan): ReadFence | undefined {
  if (!previous || plan.kind !== 'update') return previous;
  const { tags: _unknown, ...rest } = previous;
  return rest;
}
