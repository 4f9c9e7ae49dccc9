// Drift detection: the policy as its policy workflow last applied it (the last applied event states the
// whole desired state) against the policy as IAM has it now. Pure: the reconciliation's activities judge
// each policy with compareDrift, the reconcile workflow builds its report from the verdicts, and a repair
// is an ordinary upsert event built by repairEvent that goes through the policy workflow like any other.
import { documentsEqual } from './document';
import { parsePolicyKey, policyKey } from './ids';
import { eventKey } from './policy-queue';
import type { AppliedDesiredState, Outcome, PolicyDocument } from './types';

/** The CloudEvents `source` of the repair events the service submits itself. */
export const DRIFT_REPAIR_SOURCE = 'urn:iam-policy-events:drift-repair';

export const DRIFT_KINDS = [
  /** The default version's document is not the one last applied. */
  'document-changed',
  /** The tags differ from the last applied event's (only when that event set tags). */
  'tags-changed',
  /** The last applied event wants the policy, IAM has none. */
  'deleted',
  /** The policy is there, without the managed-by tag: the service will not touch it. */
  'unmanaged',
  /** A policy of that name is at another path (IAM cannot move one). */
  'path-changed',
  /** IAM has a policy with the managed-by tag that no policy workflow wants. */
  'unknown',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** Kinds a repair event can put right: it restores the last applied event's document, tags and existence. */
export const REPAIRABLE_KINDS: readonly DriftKind[] = ['document-changed', 'tags-changed', 'deleted'];

/** What the policy workflow knows: none (no workflow), no applied event recorded, or the desired state. */
export type KnownDesired =
  | { workflow: 'none' }
  | { workflow: 'not-recorded' }
  | { workflow: 'recorded'; desired: AppliedDesiredState };

/** The policy as IAM has it, as far as drift needs. */
export type ObservedForDrift =
  | { exists: false }
  | {
      exists: true;
      name: string;
      path: string;
      arn: string;
      owned: boolean;
      /** Without the managed-by tag and the audit record (src/domain/audit-tags.ts). */
      tags: Record<string, string>;
      defaultVersionId: string;
      /** The default version's document: read for a policy that is owned or wanted. */
      document?: PolicyDocument;
    };

export type DriftVerdict =
  /** Neither wanted nor carrying the managed-by tag: not the service's business. */
  | { kind: 'not-managed' }
  | { kind: 'in-sync' }
  | { kind: 'drift'; kinds: DriftKind[]; details: string[]; repairable: boolean };

/** Outcomes after which the last applied event wants the policy to exist as it says. */
const PRESENT_OUTCOMES: readonly Outcome[] = ['created', 'updated', 'unchanged'];

/** Whether the desired state wants the policy in IAM (an applied upsert), else it wants none or keeps it. */
export function wantsPolicy(desired: AppliedDesiredState): boolean {
  return desired.event.type === 'iam.policy.upsert' && PRESENT_OUTCOMES.includes(desired.outcome);
}

function lowerKeyed(tags: Record<string, string>): Map<string, [string, string]> {
  return new Map(Object.entries(tags).map(([key, value]) => [key.toLowerCase(), [key, value]]));
}

/** How IAM's tags differ from the wanted ones, one line per key (keys compared ignoring case, as IAM does). */
export function tagDifferences(current: Record<string, string>, wanted: Record<string, string>): string[] {
  const have = lowerKeyed(current);
  const want = lowerKeyed(wanted);
  const lines: string[] = [];
  for (const [lower, [key, value]] of [...want].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const found = have.get(lower);
    if (!found) lines.push(`tag ${JSON.stringify(key)} is missing (wanted ${JSON.stringify(value)})`);
    else if (found[1] !== value) {
      lines.push(
        `tag ${JSON.stringify(key)} is ${JSON.stringify(found[1])}, wanted ${JSON.stringify(value)}`,
      );
    }
  }
  for (const [lower, [key, value]] of [...have].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!want.has(lower)) lines.push(`tag ${JSON.stringify(key)}=${JSON.stringify(value)} is not wanted`);
  }
  return lines;
}

function describeApplied(desired: AppliedDesiredState): string {
  const { id, source, sequence, time } = desired.event;
  const where = sequence !== undefined ? ` (sequence ${sequence})` : time ? ` (time ${time})` : '';
  return `${id} from ${source}${where}`;
}

function drift(kinds: DriftKind[], details: string[]): DriftVerdict {
  return {
    kind: 'drift',
    kinds,
    details,
    repairable: kinds.every((kind) => REPAIRABLE_KINDS.includes(kind)),
  };
}

/** Judges one policy: what its policy workflow last applied against what IAM shows. */
export function compareDrift(known: KnownDesired, observed: ObservedForDrift): DriftVerdict {
  if (known.workflow !== 'recorded' || !wantsPolicy(known.desired)) {
    if (!observed.exists || !observed.owned) return { kind: 'not-managed' };
    if (
      known.workflow === 'recorded' &&
      (known.desired.outcome === 'retained-in-use' || known.desired.outcome === 'delete-pending')
    ) {
      // The last delete found it in use and kept it (or waits until it is unused): IAM is as the
      // service left it.
      return { kind: 'in-sync' };
    }
    const why =
      known.workflow === 'none'
        ? 'no policy workflow knows it'
        : known.workflow === 'not-recorded'
          ? 'its policy workflow has no applied event on record'
          : `its policy workflow last applied ${describeApplied(known.desired)}, which left no policy`;
    return drift(
      ['unknown'],
      [`it carries the managed-by tag but ${why}: created outside the service? It is left alone`],
    );
  }
  const { desired } = known;
  const wanted = desired.event;
  if (!observed.exists) {
    return drift(['deleted'], [`the policy is gone; last applied: ${describeApplied(desired)}`]);
  }
  if (!observed.owned) {
    return drift(
      ['unmanaged'],
      [
        `the managed-by tag was removed, so the service leaves the policy alone; last applied: ${describeApplied(desired)}`,
      ],
    );
  }
  if (observed.path !== wanted.path) {
    return drift(
      ['path-changed'],
      [`the policy is at path ${observed.path}, the last applied event put it at ${wanted.path}`],
    );
  }
  const kinds: DriftKind[] = [];
  const details: string[] = [];
  if (wanted.document && (!observed.document || !documentsEqual(observed.document, wanted.document))) {
    kinds.push('document-changed');
    details.push(
      `the default version ${observed.defaultVersionId} holds another document than the one last applied ` +
        `(${describeApplied(desired)}${desired.versionId ? `, which left ${desired.versionId}` : ''})`,
    );
  }
  if (wanted.tags) {
    const differences = tagDifferences(observed.tags, wanted.tags);
    if (differences.length > 0) {
      kinds.push('tags-changed');
      details.push(...differences);
    }
  }
  return kinds.length === 0 ? { kind: 'in-sync' } : drift(kinds, details);
}

/**
 * The event that repairs a policy: the last applied event's desired state again, from the service's own
 * source, with an id derived from the reconciliation run and the policy (a retried repair is the same
 * event). It carries the restored event's position and `restores` its key, so the policy workflow applies
 * it only while that event is still the last applied one and before nothing else waiting: a repair never
 * overwrites a newer event (src/domain/policy-queue.ts).
 */
export function repairEvent(desired: AppliedDesiredState, runId: string): Record<string, unknown> {
  const { event } = desired;
  return {
    specversion: '1.0',
    source: DRIFT_REPAIR_SOURCE,
    id: `${runId}/${policyKey(event.policyName, event.account)}`,
    type: 'iam.policy.upsert',
    ...(event.sequence !== undefined ? { sequence: event.sequence } : {}),
    ...(event.time !== undefined ? { time: event.time } : {}),
    restores: eventKey(event),
    datacontenttype: 'application/json',
    data: {
      policyName: event.policyName,
      path: event.path,
      document: event.document,
      ...(event.description !== undefined ? { description: event.description } : {}),
      ...(event.tags !== undefined ? { tags: event.tags } : {}),
      // The policy's own account: a policy workflow outside the default account records it.
      ...(event.account !== undefined ? { account: event.account } : {}),
    },
  };
}

/** Where the last applied event stands, for a report. */
export interface AppliedRef {
  source: string;
  id: string;
  sequence?: string;
  time?: string;
}

/** One policy found drifted. */
export interface DriftFinding {
  policyName: string;
  /** The account it is in, when not the default one. */
  account?: string;
  kinds: DriftKind[];
  /** One readable line per difference. */
  details: string[];
  repairable: boolean;
  lastApplied?: AppliedRef;
  /** The repair event submitted for it (repair on), and how it ended. */
  repair?: { eventId: string; outcome: string; reason?: string };
}

/** An account of IAM_ACCOUNTS the check could not read (its role refused, or ListPolicies denied). */
export interface SkippedAccount {
  account: string;
  reason: string;
}

/**
 * The policy keys not in a skipped account: a refused account's policies are neither checked nor
 * reported (a policy its workflow wants would otherwise look deleted, having been listed nowhere).
 */
export function keysOutside(keys: Iterable<string>, skipped: readonly SkippedAccount[]): string[] {
  const refused = new Set(skipped.map((entry) => entry.account));
  return [...keys].filter((key) => {
    const { account } = parsePolicyKey(key);
    return account === undefined || !refused.has(account);
  });
}

/** The reconcile workflow's result: what it checked, what it found and repaired, and what IAM cost. */
export interface DriftReport {
  /** `in-sync`: no drift; `repaired`: drift found and every finding repaired; `drift`: drift left. */
  outcome: 'in-sync' | 'drift' | 'repaired';
  repair: boolean;
  pathPrefix: string;
  startedAt: string;
  finishedAt: string;
  policies: {
    /** Policies looked at: every policy workflow of the task queue and every local policy under the prefix. */
    checked: number;
    /** Those the service manages: wanted by a policy workflow, or carrying the managed-by tag. */
    managed: number;
    inSync: number;
    drifted: number;
    /** Not compared this time (events waiting or being applied); see `skipped`. */
    skipped: number;
  };
  findings: DriftFinding[];
  /** Findings left out of `findings` to keep the result small (the counts include them). */
  findingsOmitted?: number;
  skipped: { policyName: string; account?: string; reason: string }[];
  /**
   * Accounts of IAM_ACCOUNTS not checked at all: the role there could not be assumed or IAM refused to
   * list its policies. None of their policies is in the counts or the findings.
   */
  skippedAccounts: SkippedAccount[];
  /** Drifted policies by kind (a policy may count under two kinds). */
  byKind: Partial<Record<DriftKind, number>>;
  /** Repair events by outcome (repair on). */
  repairs: Record<string, number>;
  /** IAM calls the reconciliation made (SDK retries included), and per managed policy. */
  iamCalls: number;
  iamCallsPerManagedPolicy: number;
}

/** Repair outcomes after which the policy is as last applied again. */
export const REPAIRED_OUTCOMES: readonly string[] = ['created', 'updated', 'unchanged'];

/** The report's outcome from its findings. */
export function reportOutcome(findings: readonly DriftFinding[]): DriftReport['outcome'] {
  if (findings.length === 0) return 'in-sync';
  const allRepaired = findings.every(
    (finding) => finding.repair !== undefined && REPAIRED_OUTCOMES.includes(finding.repair.outcome),
  );
  return allRepaired ? 'repaired' : 'drift';
}
