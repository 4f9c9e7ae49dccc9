// What workflow code reports to the worker process for metrics and logs. Sinks are not recorded in
// history and are not called on replay, so a cached-out workflow does not count its event twice.
import type { Sinks } from '@temporalio/workflow';
import type { DeferredDeletion } from '../domain/deferred-deletion';
import type { EventResult } from '../domain/types';
import type { DriftSummary } from './drift-contracts';

export interface ServiceSinks extends Sinks {
  events: {
    /** An event workflow reached its final outcome (the worker adds latency from its start time). */
    finished(result: EventResult): void;
  };
  drift: {
    /** A reconcile workflow finished its check (and repairs). */
    checked(summary: DriftSummary): void;
  };
  deletions: {
    /**
     * A policy workflow's deferred deletion began waiting or ended (src/domain/deferred-deletion.ts).
     * Not called for a check that finds the policy still in use.
     */
    changed(policyKey: string, deletion: DeferredDeletion): void;
  };
}
