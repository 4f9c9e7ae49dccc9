// The drift check: every policy the service manages (a running policy workflow on this task queue, or a
// local policy under the path prefix that carries the managed-by tag, in the default account and in each
// account of IAM_ACCOUNTS) compared with IAM as it is. Started
// by the worker's Temporal Schedule (DRIFT_CHECK_INTERVAL_MS) or by `starter drift`. IAM is read by
// activities, one ListPolicies page and one batch of policies at a time, so a long check survives a
// worker restart and its progress shows in the UI; a difference is read a second time before it counts.
// With repair on, each repairable policy gets a repair event, submitted like any event, which its
// policy workflow applies in its order (src/domain/drift.ts).
import {
  proxyActivities,
  proxySinks,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import {
  keysOutside,
  reportOutcome,
  type DriftFinding,
  type DriftKind,
  type DriftReport,
  type SkippedAccount,
} from '../domain/drift';
import type {
  CheckItem,
  DriftActivities,
  ListedPolicy,
  PolicyCheck,
  ReconcileInput,
  RepairResult,
} from '../messages/drift-contracts';
import { OUTCOME } from '../messages/search-attributes';
import type { ServiceSinks } from '../messages/sinks';
import { versionedAs } from './versioning';

/** Policies judged per activity call: small enough to finish well within its timeout on a slow IAM. */
const BATCH_SIZE = 50;
/** The most findings (and skipped policies) listed in the result; the counts cover them all. */
const LISTED_LIMIT = 500;
const DEFAULT_CONFIRM_AFTER_MS = 5_000;

const PROGRAMMING_ERRORS = ['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError'];

/** Reads: ordinary activities, visible while they fail; throttling beyond the IAM client's own retries backs off here. */
const READS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: PROGRAMMING_ERRORS,
  },
};

const reads = proxyActivities<Omit<DriftActivities, 'repairDrift'>>(READS);
const repairs = proxyActivities<Pick<DriftActivities, 'repairDrift'>>({
  ...READS,
  // Submits and waits up to a minute for each repair's outcome; heartbeats meanwhile.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
});

const { drift: driftSink } = proxySinks<ServiceSinks>();

// A check lives minutes at most: it stays on the build it started on, like an event workflow.
versionedAs('PINNED', reconcileWorkflow);

export async function reconcileWorkflow(input: ReconcileInput): Promise<DriftReport> {
  const pathPrefix = input.pathPrefix ?? '/';
  const startedAt = workflowTime();
  let iamCalls = 0;

  setCurrentDetails(`listing the policy workflows and the policies under ${pathPrefix}`);
  const withWorkflow = new Set<string>();
  let pageToken: string | undefined;
  do {
    const page = await reads.listPolicyWorkflows({ pageToken });
    for (const key of page.keys) withWorkflow.add(key);
    pageToken = page.nextPageToken;
  } while (pageToken);
  const listed = new Map<string, ListedPolicy>();
  const skippedAccounts: SkippedAccount[] = [];
  let marker: string | undefined;
  do {
    const page = await reads.listIamPolicies({ pathPrefix, marker });
    iamCalls += page.iamCalls;
    for (const policy of page.policies) if (!listed.has(policy.key)) listed.set(policy.key, policy);
    if (page.skippedAccount) skippedAccounts.push(page.skippedAccount);
    marker = page.marker;
  } while (marker);

  // A refused account's policies are left out: unlisted, a policy its workflow wants would look deleted.
  const keys = keysOutside(new Set([...withWorkflow, ...listed.keys()]), skippedAccounts).sort();
  const checks = new Map<string, PolicyCheck>();
  const checkAll = async (items: CheckItem[], label: string) => {
    for (let start = 0; start < items.length; start += BATCH_SIZE) {
      const batch = await reads.checkPolicies({ pathPrefix, items: items.slice(start, start + BATCH_SIZE) });
      iamCalls += batch.iamCalls;
      for (const check of batch.checks) checks.set(check.key, check);
      setCurrentDetails(
        `${label}: ${Math.min(start + BATCH_SIZE, items.length)} of ${items.length} policies`,
      );
    }
  };
  await checkAll(
    keys.map((key) => ({ key, listed: listed.get(key), hasWorkflow: withWorkflow.has(key) })),
    'checked',
  );

  // A second look at each difference: IAM's reads may lag behind the service's own last write, and an
  // event may have been applied (or a policy workflow started) since the first look.
  const suspects = [...checks.values()].filter((check) => check.status === 'drift').map((check) => check.key);
  if (suspects.length > 0) {
    await sleep(input.confirmAfterMs ?? DEFAULT_CONFIRM_AFTER_MS);
    await checkAll(
      suspects.map((key) => ({ key, listed: listed.get(key), hasWorkflow: true })),
      'looked again at the differences',
    );
  }

  const drifted = [...checks.values()].filter(
    (check): check is Extract<PolicyCheck, { status: 'drift' }> => check.status === 'drift',
  );
  const repaired = new Map<string, RepairResult>();
  if (input.repair) {
    const requests = drifted
      .filter((check) => check.repairable && check.appliedKey !== undefined)
      .map((check) => ({ key: check.key, appliedKey: check.appliedKey! }));
    for (let start = 0; start < requests.length; start += BATCH_SIZE) {
      setCurrentDetails(`repairing: ${start} of ${requests.length} policies`);
      const results = await repairs.repairDrift({
        runId: workflowInfo().runId,
        repairs: requests.slice(start, start + BATCH_SIZE),
      });
      for (const result of results) repaired.set(result.key, result);
    }
  }

  const report = buildReport(
    input,
    pathPrefix,
    startedAt,
    checks,
    drifted,
    repaired,
    iamCalls,
    skippedAccounts,
  );
  setCurrentDetails(describeReport(report));
  if (input.searchAttributes) upsertSearchAttributes([{ key: OUTCOME, value: report.outcome }]);
  driftSink.checked({
    workflowId: workflowInfo().workflowId,
    outcome: report.outcome,
    byKind: report.byKind,
    repairs: report.repairs,
    managed: report.policies.managed,
    drifted: report.policies.drifted,
    iamCalls: report.iamCalls,
    skippedAccounts: report.skippedAccounts,
  });
  return report;
}

function buildReport(
  input: ReconcileInput,
  pathPrefix: string,
  startedAt: number,
  checks: Map<string, PolicyCheck>,
  drifted: Extract<PolicyCheck, { status: 'drift' }>[],
  repaired: Map<string, RepairResult>,
  iamCalls: number,
  skippedAccounts: SkippedAccount[],
): DriftReport {
  const all = [...checks.values()];
  const count = (status: PolicyCheck['status']) => all.filter((check) => check.status === status).length;
  const findings: DriftFinding[] = drifted
    .map((check) => {
      const repair = repaired.get(check.key);
      return {
        policyName: check.policyName,
        ...(check.account !== undefined ? { account: check.account } : {}),
        kinds: check.kinds,
        details: check.details,
        repairable: check.repairable,
        ...(check.lastApplied ? { lastApplied: check.lastApplied } : {}),
        ...(repair
          ? {
              repair: {
                eventId: repair.eventId ?? '',
                outcome: repair.outcome,
                ...(repair.reason ? { reason: repair.reason } : {}),
              },
            }
          : {}),
      };
    })
    // The default account's first (no account), then by account and name.
    .sort((a, b) => compareText(`${a.account ?? ''}/${a.policyName}`, `${b.account ?? ''}/${b.policyName}`));
  const byKind: Partial<Record<DriftKind, number>> = {};
  for (const finding of findings) for (const kind of finding.kinds) byKind[kind] = (byKind[kind] ?? 0) + 1;
  const repairsByOutcome: Record<string, number> = {};
  for (const result of repaired.values()) {
    repairsByOutcome[result.outcome] = (repairsByOutcome[result.outcome] ?? 0) + 1;
  }
  const skipped = all
    .filter((check): check is Extract<PolicyCheck, { status: 'skipped' }> => check.status === 'skipped')
    .map(({ policyName, account, reason }) => ({
      policyName,
      ...(account !== undefined ? { account } : {}),
      reason,
    }));
  const inSync = count('in-sync');
  const managed = inSync + drifted.length;
  return {
    outcome: reportOutcome(findings),
    repair: input.repair,
    pathPrefix,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(workflowTime()).toISOString(),
    policies: {
      checked: all.length,
      managed,
      inSync,
      drifted: drifted.length,
      skipped: skipped.length,
    },
    findings: findings.slice(0, LISTED_LIMIT),
    ...(findings.length > LISTED_LIMIT ? { findingsOmitted: findings.length - LISTED_LIMIT } : {}),
    skipped: skipped.slice(0, LISTED_LIMIT),
    skippedAccounts,
    byKind,
    repairs: repairsByOutcome,
    iamCalls,
    iamCallsPerManagedPolicy: Math.round((iamCalls / Math.max(1, managed)) * 100) / 100,
  };
}

/** The one-paragraph summary the UI shows as the workflow's current details. */
export function describeReport(report: DriftReport): string {
  const kinds = Object.entries(report.byKind)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const repairs = Object.entries(report.repairs)
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(', ');
  const accounts = report.skippedAccounts.length;
  return (
    `**${report.outcome}**: ${report.policies.drifted} of ${report.policies.managed} managed policies drifted` +
    `${kinds ? ` (${kinds})` : ''}; repair ${report.repair ? `on${repairs ? `: ${repairs}` : ''}` : 'off'}; ` +
    `${report.policies.skipped} skipped` +
    `${accounts > 0 ? `, ${accounts} account${accounts === 1 ? '' : 's'} not checked` : ''}; ` +
    `${report.iamCalls} IAM calls (${report.iamCallsPerManagedPolicy} per managed policy)`
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The time of the workflow task being run: the sandbox's Date is replayed from history, not the clock. */
function workflowTime(): number {
  // eslint-disable-next-line no-restricted-properties -- inside the workflow sandbox this is workflow time
  return Date.now();
}
