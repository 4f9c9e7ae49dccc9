// `starter drift`: runs a drift check now (the reconcile workflow the schedule runs, on the worker's task
// queue), waits for its report and renders it for a person, or as JSON.
import type { Client } from '@temporalio/client';
import type { DriftReport } from '../domain/drift';
import type { ReconcileInput } from '../messages/drift-contracts';
import { driftScheduleId } from '../temporal/drift-schedule';
import type { reconcileWorkflow } from '../workflows/reconcile-workflow';

export interface DriftCheckOptions extends ReconcileInput {
  taskQueue: string;
}

/** Starts a drift check and waits for its report; returns the workflow ID with it. */
export async function runDriftCheck(
  client: Client,
  options: DriftCheckOptions,
): Promise<{ workflowId: string; report: DriftReport }> {
  const { taskQueue, ...input } = options;
  const workflowId = `${driftScheduleId(taskQueue)}/now-${new Date().toISOString()}`;
  const report = await client.workflow.execute<typeof reconcileWorkflow>('reconcileWorkflow', {
    workflowId,
    taskQueue,
    args: [input],
    staticSummary: `drift check of the policies under ${input.pathPrefix ?? '/'} (repair ${input.repair ? 'on' : 'off'}), from the starter`,
  });
  return { workflowId, report };
}

function applied(finding: DriftReport['findings'][number]): string {
  const last = finding.lastApplied;
  if (!last) return '';
  const where =
    last.sequence !== undefined ? `, sequence ${last.sequence}` : last.time ? `, time ${last.time}` : '';
  return `      last applied: ${last.id} from ${last.source}${where}\n`;
}

/** A policy's name, with its account outside the default one. */
function named({ policyName, account }: { policyName: string; account?: string }): string {
  return account !== undefined ? `${policyName} (account ${account})` : policyName;
}

/** The report as a person reads it: a headline, one block per drifted policy, then what to do. */
export function renderDriftReport(workflowId: string, report: DriftReport): string {
  const { policies } = report;
  const lines: string[] = [];
  const headline =
    report.outcome === 'in-sync'
      ? 'no drift'
      : report.outcome === 'repaired'
        ? `${policies.drifted} drifted, all repaired`
        : `${policies.drifted} drifted`;
  lines.push(
    `drift check ${workflowId}: ${headline} (${policies.managed} managed policies under ${report.pathPrefix}, ` +
      `repair ${report.repair ? 'on' : 'off'})`,
  );
  for (const finding of report.findings) {
    const status = finding.repair
      ? `repair ${finding.repair.eventId}: ${finding.repair.outcome}${finding.repair.reason ? ` (${finding.repair.reason})` : ''}`
      : finding.repairable
        ? 'repairable'
        : 'not repairable: left alone';
    lines.push(`  ${named(finding)}: ${finding.kinds.join(', ')}; ${status}`);
    for (const detail of finding.details) lines.push(`      ${detail}`);
    const last = applied(finding);
    if (last) lines.push(last.trimEnd());
  }
  if (report.findingsOmitted) lines.push(`  ... and ${report.findingsOmitted} more (counted above)`);
  for (const skipped of report.skipped) lines.push(`  ${named(skipped)}: not checked: ${skipped.reason}`);
  for (const { account, reason } of report.skippedAccounts) {
    lines.push(`  account ${account}: not checked, none of its policies: ${reason}`);
  }
  lines.push(
    `IAM calls: ${report.iamCalls}` +
      `${policies.managed > 0 ? ` (${report.iamCallsPerManagedPolicy} per managed policy)` : ''}; ` +
      `${policies.inSync} in sync, ${policies.skipped} skipped, ${policies.checked} looked at` +
      `${report.skippedAccounts.length > 0 ? `; ${report.skippedAccounts.length} account(s) not checked` : ''}`,
  );
  if (!report.repair && report.findings.some((finding) => finding.repairable)) {
    lines.push(
      'To repair: npm run --silent starter -- drift --repair, or DRIFT_REPAIR=true on the worker for the scheduled check.',
    );
  }
  return `${lines.join('\n')}\n`;
}
