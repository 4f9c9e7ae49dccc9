// What workflow code reports to the worker process for metrics and logs. Sinks are not recorded in
// history and are not called on replay, so a cached-out workflow does not count its event twice.
import type { Sinks } from '@temporalio/workflow';
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
}
