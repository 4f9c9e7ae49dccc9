// The worker's end of the reconcile workflow's `drift` sink: counts each drift check, the drift it found
// by kind and its repairs by outcome, and writes one JSON log line (warn when drift is left or an account
// could not be checked).
import type { InjectedSinks } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { DriftSummary } from '../messages/drift-contracts';
import type { ServiceSinks } from '../messages/sinks';
import type { ServiceMetrics } from './service-metrics';

export function createDriftSinks(
  logger: Logger,
  metrics?: ServiceMetrics,
): Pick<InjectedSinks<ServiceSinks>, 'drift'> {
  return {
    drift: {
      checked: {
        fn(info, summary: DriftSummary) {
          metrics?.driftChecks.inc({ outcome: summary.outcome });
          for (const [kind, count] of Object.entries(summary.byKind))
            metrics?.driftFound.inc({ kind }, count);
          for (const [outcome, count] of Object.entries(summary.repairs)) {
            metrics?.driftRepairs.inc({ outcome }, count);
          }
          const line = {
            event: 'drift-check',
            workflowId: info.workflowId,
            runId: info.runId,
            outcome: summary.outcome,
            managed: summary.managed,
            drifted: summary.drifted,
            byKind: summary.byKind,
            repairs: summary.repairs,
            iamCalls: summary.iamCalls,
            skippedAccounts: summary.skippedAccounts,
          };
          if (summary.outcome === 'drift') logger.warn(line, 'drift found');
          // An account not checked needs an operator (its role or permissions), as drift left does.
          else if (summary.skippedAccounts.length > 0) logger.warn(line, 'drift check skipped accounts');
          else logger.info(line, 'drift check finished');
        },
        // Once per check: not again when the workflow is replayed.
        callDuringReplay: false,
      },
    },
  };
}
