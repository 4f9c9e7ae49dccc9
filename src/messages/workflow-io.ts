import type { CoalesceWindow } from '../domain/coalescing';
import type { DeleteWaitSettings } from '../domain/deferred-deletion';
import type { EventDelivery, PolicyState } from '../domain/policy-queue';
import type { PolicyEvent } from '../domain/types';

export interface EventWorkflowInput {
  event: PolicyEvent;
  /** Hash of the normalised event, also kept in the memo, to tell a duplicate from a conflict. */
  payloadHash: string;
}

/**
 * The worker's settings for policy workflows. They come with the start and with every delivery, so a
 * long-lived policy workflow follows the configuration of the workers that deliver to it now.
 */
export interface PolicyWorkflowSettings {
  /** Continue-as-new once history is this long (the server's own suggestion also counts). */
  maxHistoryLength?: number;
  /** How long to gather a burst before applying its newest event (the default window when absent). */
  coalesce?: CoalesceWindow;
  /** How deletes of a policy in use wait until it is unused (DELETE_WAIT_*; the defaults when absent). */
  deleteWait?: DeleteWaitSettings;
  /** The task queue the policy's account works on (TEMPORAL_ACCOUNT_TASK_QUEUES): a run continues as new there. */
  taskQueue?: string;
}

export interface PolicyWorkflowInput extends PolicyWorkflowSettings {
  /** The lower-cased policy name: IAM names are case-insensitive, so `Team-A` and `team-a` share one workflow. */
  policyKey: string;
  /** Carried across continue-as-new. */
  state?: PolicyState;
}

/** What a delivery activity sends to the policy workflow: the event, and the worker's current settings. */
export interface EventMessage extends EventDelivery {
  settings?: PolicyWorkflowSettings;
}
