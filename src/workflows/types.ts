import type { PolicyState } from '../domain/policy-queue';
import type { PolicyEvent } from '../domain/types';

export interface EventWorkflowInput {
  event: PolicyEvent;
  /** Hash of the normalised event, also kept in the memo, to tell a duplicate from a conflict. */
  payloadHash: string;
}

export interface PolicyWorkflowInput {
  /** The lower-cased policy name: IAM names are case-insensitive, so `Team-A` and `team-a` share one workflow. */
  policyKey: string;
  /** Carried across continue-as-new. */
  state?: PolicyState;
  /** Continue-as-new once history is this long (the server's own suggestion also counts). */
  maxHistoryLength?: number;
}
