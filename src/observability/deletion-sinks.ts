// The worker's end of the policy workflows' `deletions` sink: counts each deferred deletion that starts
// waiting or ends, by status, and writes one JSON log line for it (warn when the wait ran out).
import type { InjectedSinks } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { DeferredDeletion } from '../domain/deferred-deletion';
import type { ServiceSinks } from '../messages/sinks';
import type { ServiceMetrics } from './service-metrics';

export function createDeletionSinks(
  logger: Logger,
  metrics?: ServiceMetrics,
): Pick<InjectedSinks<ServiceSinks>, 'deletions'> {
  return {
    deletions: {
      changed: {
        fn(info, policyKey: string, deletion: DeferredDeletion) {
          metrics?.deferredDeletions.inc({ status: deletion.status });
          const line = {
            event: 'deferred-deletion',
            policy: policyKey,
            status: deletion.status,
            eventId: deletion.event.id,
            source: deletion.event.source,
            checks: deletion.checks,
            ...(deletion.entities ? { entities: deletion.entities.map((e) => `${e.kind}/${e.name}`) } : {}),
            ...(deletion.reason ? { reason: deletion.reason } : {}),
            ...(deletion.nextCheckAt !== undefined
              ? { nextCheckAt: new Date(deletion.nextCheckAt).toISOString() }
              : {}),
            deadline: new Date(deletion.deadline).toISOString(),
            ...(deletion.actions ? { iamCalls: deletion.actions.map((action) => action.action) } : {}),
            workflowId: info.workflowId,
          };
          if (deletion.status === 'expired') logger.warn(line, 'deferred deletion expired; the policy stays');
          else logger.info(line, `deferred deletion ${deletion.status}`);
        },
        // Once per change: not again when a workflow evicted from the cache is replayed.
        callDuringReplay: false,
      },
    },
  };
}
