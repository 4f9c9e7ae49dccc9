// What the reconcile workflow (src/workflows/reconcile-workflow.ts) asks of its activities
// (src/activities/drift-activities.ts), its input, and what it reports to the worker for metrics.
import type { AppliedRef, DriftKind, DriftReport, SkippedAccount } from '../domain/drift';

export interface ReconcileInput {
  /** Submit a repair event for each repairable finding (DRIFT_REPAIR, or `starter drift --repair`). */
  repair: boolean;
  /** Only policies under this IAM path (DRIFT_PATH_PREFIX); default '/'. */
  pathPrefix?: string;
  /** Set the Outcome search attribute on the reconcile workflow (the namespace must know it). */
  searchAttributes?: boolean;
  /**
   * A difference is read again this long after it was first seen before it counts (default 5 s), so that
   * IAM's lagging reads after the service's own write, or an event applied meanwhile, are not reported.
   */
  confirmAfterMs?: number;
}

/** A local policy as ListPolicies showed it. */
export interface ListedPolicy {
  /** The policy workflow's key: the lower-cased name, after its account outside the default one. */
  key: string;
  /** The account it is in, when not the default one. */
  account?: string;
  name: string;
  path: string;
  arn: string;
}

/** One policy to check: its key, where ListPolicies found it (if it did), and whether a workflow has it. */
export interface CheckItem {
  key: string;
  listed?: ListedPolicy;
  /** Ask the policy workflow for its desired state (a workflow was listed for it, or this is a second look). */
  hasWorkflow: boolean;
}

/** One policy's verdict, as compact as history allows. */
export type PolicyCheck = {
  key: string;
  /** The name as IAM or the last applied event spells it. */
  policyName: string;
  /** The account it is in, when not the default one. */
  account?: string;
} & (
  | { status: 'in-sync' | 'not-managed' | 'out-of-scope' }
  | { status: 'skipped'; reason: string }
  | {
      status: 'drift';
      kinds: DriftKind[];
      details: string[];
      repairable: boolean;
      /** The eventKey of the last applied event, so that a repair restores that state only. */
      appliedKey?: string;
      lastApplied?: AppliedRef;
    }
);

export interface RepairRequest {
  key: string;
  appliedKey: string;
}

export interface RepairResult {
  key: string;
  eventId?: string;
  /** The repair event's outcome, `accepted` when not final yet, `skipped` when not submitted. */
  outcome: string;
  reason?: string;
}

export interface DriftActivities {
  /** One page of the running policy workflows of this task queue (visibility), of every account. */
  listPolicyWorkflows(input: { pageToken?: string }): Promise<{ keys: string[]; nextPageToken?: string }>;
  /**
   * One page of ListPolicies (Scope=Local) under the prefix, in the default account and then in each
   * other account of IAM_ACCOUNTS: the marker says which account and page come next. An account of
   * IAM_ACCOUNTS that refuses (its role cannot be assumed, or ListPolicies is denied) is given back as
   * `skippedAccount`, with the marker of the account after it.
   */
  listIamPolicies(input: { pathPrefix: string; marker?: string }): Promise<{
    policies: ListedPolicy[];
    marker?: string;
    iamCalls: number;
    skippedAccount?: SkippedAccount;
  }>;
  /** Reads each policy's desired state (query) and IAM state, and judges it (src/domain/drift.ts). */
  checkPolicies(input: {
    pathPrefix: string;
    items: CheckItem[];
  }): Promise<{ checks: PolicyCheck[]; iamCalls: number }>;
  /** Submits a repair event per policy whose last applied event is still the one checked. */
  repairDrift(input: { runId: string; repairs: RepairRequest[] }): Promise<RepairResult[]>;
}

/** What a reconciliation reports to the worker process (metrics and a log line); not recorded in history. */
export interface DriftSummary {
  workflowId: string;
  outcome: DriftReport['outcome'];
  byKind: DriftReport['byKind'];
  repairs: DriftReport['repairs'];
  managed: number;
  drifted: number;
  iamCalls: number;
  /** Accounts of IAM_ACCOUNTS not checked, with why. */
  skippedAccounts: DriftReport['skippedAccounts'];
}
