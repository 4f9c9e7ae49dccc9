// The service's own Prometheus metrics (the SDK's runtime metrics come from the Temporal runtime and are
// merged in by the metrics server). A registry per process, not prom-client's global one, so tests can
// make several.
import { Counter, Histogram, Registry } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  /** Events whose workflow reached a final outcome, by event type and outcome. */
  events: Counter<'type' | 'outcome' | 'account'>;
  /** IAM API calls (each attempt, retries included) by action and error code ("OK" when it succeeded). */
  iamCalls: Counter<'action' | 'code' | 'account'>;
  /** Seconds of each IAM call attempt, from sending it to its answer read (after the account's caps). */
  iamCallSeconds: Histogram<'action' | 'account'>;
  /** Seconds IAM calls waited for their account's caps: a slot (cap `in-flight`) or a token (`rate`). */
  iamCapWaitSeconds: Histogram<'account' | 'cap'>;
  /** Seconds from an event workflow's start to its final outcome. */
  eventLatency: Histogram<'type' | 'outcome' | 'account'>;
  /** Drift checks finished, by outcome (in-sync, drift, repaired). */
  driftChecks: Counter<'outcome'>;
  /** Drifted policies found, by kind, summed over drift checks (a policy still drifted counts again next time). */
  driftFound: Counter<'kind'>;
  /** Repair events the drift checks submitted, by the repair's outcome. */
  driftRepairs: Counter<'outcome'>;
  /**
   * Deferred deletions by status: pending when a delete starts waiting, then how each ended (deleted,
   * expired, cancelled, replaced, absent, rejected).
   */
  deferredDeletions: Counter<'status'>;
}

export function createServiceMetrics(): ServiceMetrics {
  const registry = new Registry();
  return {
    registry,
    events: new Counter({
      name: 'iam_policy_events_events_total',
      help: 'Events that reached a final outcome, by CloudEvent type and outcome',
      labelNames: ['type', 'outcome', 'account'],
      registers: [registry],
    }),
    iamCalls: new Counter({
      name: 'iam_policy_events_iam_calls_total',
      help: 'IAM API call attempts by action and error code (OK for success)',
      labelNames: ['action', 'code', 'account'],
      registers: [registry],
    }),
    iamCallSeconds: new Histogram({
      name: 'iam_policy_events_iam_call_seconds',
      help: "Seconds of each IAM call attempt, from sending it to its answer read (after the account's caps)",
      labelNames: ['action', 'account'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    iamCapWaitSeconds: new Histogram({
      name: 'iam_policy_events_iam_cap_wait_seconds',
      help: "Seconds IAM calls waited for their account's caps: a free slot (cap in-flight) or a token (cap rate)",
      labelNames: ['account', 'cap'],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    eventLatency: new Histogram({
      name: 'iam_policy_events_event_latency_seconds',
      help: "Seconds from an event workflow's start to its final outcome",
      labelNames: ['type', 'outcome', 'account'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
    driftChecks: new Counter({
      name: 'iam_policy_events_drift_checks_total',
      help: 'Drift checks (reconcile workflows) finished, by outcome: in-sync, drift or repaired',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    driftFound: new Counter({
      name: 'iam_policy_events_drift_found_total',
      help: 'Drifted policies found by drift checks, by kind (counted again by each check that finds them)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    driftRepairs: new Counter({
      name: 'iam_policy_events_drift_repairs_total',
      help: "Repair events submitted by drift checks, by the repair's outcome",
      labelNames: ['outcome'],
      registers: [registry],
    }),
    deferredDeletions: new Counter({
      name: 'iam_policy_events_deferred_deletions_total',
      help: 'Deletes waiting until their policy is unused: pending when one starts waiting, then how it ended (deleted, expired, cancelled, replaced, absent, rejected)',
      labelNames: ['status'],
      registers: [registry],
    }),
  };
}
