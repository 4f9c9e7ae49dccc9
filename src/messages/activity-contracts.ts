// What the workflows may ask of activities: the interfaces the worker's activities implement. Kept here,
// apart from the implementations (which need the AWS SDK and a Temporal client), so workflow code imports
// only types and the activities import the workflows' definitions without a circle. How their failures
// read is in ./activity-failures.
import type { EventDelivery, OutgoingResult } from '../domain/policy-queue';
import type { ObservePolicyInput, PolicyObservation, WritePlan } from '../domain/decide';
import type { EventResult, IamAction, Outcome, PolicyEntity } from '../domain/types';

/** Messages between event and policy workflows that go through the Temporal client. */
export interface DeliveryActivities {
  /** Signal-with-start: starts the policy workflow if it is not running. Safe to repeat. */
  deliverEvent(delivery: EventDelivery): Promise<void>;
  /** Update-with-start, waiting a bounded time for the result; undefined when none came. */
  deliverEventAndWait(delivery: EventDelivery): Promise<EventResult | undefined>;
  /** Signals each event workflow its result. Safe to repeat. */
  sendEventResults(outgoing: OutgoingResult[]): Promise<void>;
}

/** An event by its identity: (source, id). */
export interface EventRef {
  source: string;
  id: string;
}

/** What carrying out a write did. */
export interface WriteResult {
  /** As decided, unless IAM answered otherwise at the last moment (a name taken, a DeleteConflict). */
  outcome: Outcome;
  actions: IamAction[];
  policyArn?: string;
  versionId?: string;
  entities?: PolicyEntity[];
  reason?: string;
  notes?: string[];
}

/**
 * The policy workflow's IAM work: observe a policy for decide() (src/domain/decide.ts), then carry out
 * the write it chose. Neither decides an outcome.
 */
export interface PolicyActivities {
  /** The policy, its document (upserts) or users (deletes), and the worker's guard rules. */
  inspectPolicy(input: ObservePolicyInput): Promise<PolicyObservation>;
  /**
   * Carries out a write, re-reading IAM before each step so that a retry writes nothing twice. `madeBy`:
   * the event the write is for, named in the audit record of each version it makes (absent in writes
   * scheduled before the audit record existed).
   */
  applyPlan(plan: WritePlan, madeBy?: EventRef): Promise<WriteResult>;
}
