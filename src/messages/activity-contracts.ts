// What the workflows may ask of activities: the interfaces the worker's activities implement. Kept here,
// apart from the implementations (which need the AWS SDK and a Temporal client), so workflow code imports
// only types and the activities import the workflows' definitions without a circle.
import type { EventDelivery, OutgoingResult } from '../domain/policy-queue';
import type { InspectPolicyInput, PolicyObservation, WritePlan, WriteResult } from '../domain/plan';
import type { EventResult } from '../domain/types';

/** Messages between event and policy workflows that go through the Temporal client. */
export interface DeliveryActivities {
  /** Signal-with-start: starts the policy workflow if it is not running. Safe to repeat. */
  deliverEvent(delivery: EventDelivery): Promise<void>;
  /** Update-with-start, waiting a bounded time for the result; undefined when none came. */
  deliverEventAndWait(delivery: EventDelivery): Promise<EventResult | undefined>;
  /** Signals each event workflow its result. Safe to repeat. */
  sendEventResults(outgoing: OutgoingResult[]): Promise<void>;
}

/** The policy workflow's IAM work: observe a policy, and apply a plan made from that observation. */
export interface PolicyActivities {
  inspectPolicy(input: InspectPolicyInput): Promise<PolicyObservation>;
  applyPlan(plan: WritePlan): Promise<WriteResult>;
}
