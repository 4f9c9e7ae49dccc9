// The worker's end of the event workflows' `events` sink: counts each final outcome, observes its
// latency and writes one JSON log line for it.
import type { InjectedSinks } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { EventResult } from '../domain/types';
import type { ServiceSinks } from '../messages/sinks';
import { DEFAULT_ACCOUNT_LABEL } from './iam-instrumentation';
import type { ServiceMetrics } from './service-metrics';

export function createEventSinks(
  logger: Logger,
  metrics?: ServiceMetrics,
): Pick<InjectedSinks<ServiceSinks>, 'events'> {
  return {
    events: {
      finished: {
        fn(info, result: EventResult) {
          const seconds = Math.max(0, (Date.now() - info.startTime.getTime()) / 1000);
          const labels = {
            type: result.type,
            outcome: result.outcome,
            account: result.account ?? DEFAULT_ACCOUNT_LABEL,
          };
          metrics?.events.inc(labels);
          metrics?.eventLatency.observe(labels, seconds);
          const line = {
            event: 'outcome',
            eventId: result.id,
            source: result.source,
            type: result.type,
            policy: result.policyName,
            ...(result.account !== undefined ? { account: result.account } : {}),
            outcome: result.outcome,
            ...(result.reason ? { reason: result.reason } : {}),
            iamCalls: result.actions.map((action) => action.action),
            ...(result.versionId ? { versionId: result.versionId } : {}),
            durationMs: Math.round(seconds * 1000),
            workflowId: info.workflowId,
          };
          if (result.outcome === 'failed') logger.warn(line, 'event failed');
          else logger.info(line, 'event finished');
        },
        // Once per event: not again when a workflow evicted from the cache is replayed.
        callDuringReplay: false,
      },
    },
  };
}
