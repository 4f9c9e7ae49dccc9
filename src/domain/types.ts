// Types shared by the starter, the workflows and the activities.
// Everything here crosses Temporal's payload boundary, so it is plain JSON: no Map, Set, Date or class.

export const EVENT_TYPES = ['iam.policy.upsert', 'iam.policy.delete'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Every outcome an event can end in (the contract's table), plus `failed` for unexpected errors. */
export const OUTCOMES = [
  'created',
  'updated',
  'unchanged',
  'absent',
  'retained-in-use',
  'delete-pending',
  'deleted',
  'superseded',
  'duplicate',
  'conflict',
  'rejected',
  'failed',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that make the starter exit with status 1. */
export const UNSUCCESSFUL_OUTCOMES: readonly Outcome[] = ['rejected', 'conflict', 'failed'];

/** An IAM policy document as parsed JSON. Validation decides whether it is a usable one. */
export type PolicyDocument = Record<string, unknown>;

/** A CloudEvent that passed validation, reduced to what the service acts on. */
export interface PolicyEvent {
  source: string;
  id: string;
  type: EventType;
  /** RFC 3339 timestamp, as sent. */
  time?: string;
  /** Decimal digits without leading zeros ("0" for zero); compare with `compareSequence`. */
  sequence?: string;
  policyName: string;
  /**
   * The AWS account (12 digits) the policy is in; absent: the worker's default account. Policies are
   * keyed by (account, name): src/domain/ids.ts.
   */
  account?: string;
  /** IAM path; '/' when the event has none. */
  path: string;
  /** Parsed policy document; present on every upsert. */
  document?: PolicyDocument;
  description?: string;
  /** Desired tags (without the managed-by tag). Absent means: leave the policy's tags alone. */
  tags?: Record<string, string>;
  /**
   * Only on a drift repair (src/domain/drift.ts): the eventKey of the applied event whose desired state it
   * restores. It is applied only while that event is still the last applied one (src/domain/policy-queue.ts).
   */
  restores?: string;
  /**
   * Only on a delete: when the policy is in use, wait until nothing uses it and delete it then
   * (src/domain/deferred-deletion.ts). Absent: the worker's default (DELETE_WAIT_UNTIL_UNUSED).
   */
  waitUntilUnused?: boolean;
  /** Only with `waitUntilUnused: true`: the longest to wait, in ms; at most the worker's DELETE_WAIT_MAX_MS. */
  maxWaitMs?: number;
}

/** An IAM entity that uses a policy. */
export interface PolicyEntity {
  kind: 'user' | 'group' | 'role';
  name: string;
  /** How the entity uses the policy. */
  usage: 'permissions-policy' | 'permissions-boundary';
}

/** One IAM write the service made, for the record an operator reads in the UI. */
export interface IamAction {
  action:
    | 'CreatePolicy'
    | 'CreatePolicyVersion'
    | 'SetDefaultPolicyVersion'
    | 'DeletePolicyVersion'
    | 'DeletePolicy'
    | 'TagPolicy'
    | 'UntagPolicy';
  versionId?: string;
  detail?: string;
}

/** The final record of one event: the event workflow's result and the starter's output line. */
export interface EventResult {
  source: string;
  id: string;
  type: EventType;
  policyName: string;
  /** The account the event named; absent for the worker's default account. */
  account?: string;
  outcome: Outcome;
  /** Why, for rejected, conflict, failed and superseded. */
  reason?: string;
  /** For retained-in-use and delete-pending: who still uses the policy. */
  entities?: PolicyEntity[];
  policyArn?: string;
  /** The policy's default version after the event. */
  versionId?: string;
  /** IAM writes made for this event (empty when nothing was written). */
  actions: IamAction[];
  /** Things the operator should know that did not change the outcome (e.g. an immutable description). */
  notes?: string[];
}

/** The policy as the service last meant it to be: the last applied event states the whole of it. */
export interface AppliedDesiredState {
  event: PolicyEvent;
  outcome: Outcome;
  policyArn?: string;
  versionId?: string;
}
