// Signals and queries between the starter, the event workflows and the policy workflows.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AppliedPosition, FinishedEvent, PolicyState, QueuedEvent } from '../domain/policy-queue';
import type { DeferredDeletion } from '../domain/deferred-deletion';
import type { EventResult } from '../domain/types';
import type { EventMessage } from './workflow-io';

/** An event workflow hands its event to the policy workflow (sent with signal-with-start). */
export const deliverEventSignal = defineSignal<[EventMessage]>('deliverEvent');

/**
 * An event workflow hands its event to the policy workflow (sent with update-with-start) and gets its
 * result as the answer, without a signal back. Undefined when the policy workflow hands over to a new run
 * before the event is finished: the sender then delivers it again by `deliverEventSignal`.
 */
export const applyEventUpdate = defineUpdate<EventResult | undefined, [EventMessage]>('applyEvent');

/** The policy workflow tells an event workflow how its event ended. */
export const eventOutcomeSignal = defineSignal<[EventResult]>('eventOutcome');

/** The policy workflow's state, plus the event it is applying right now (absent when idle). */
export type PolicyStateView = PolicyState & { applying?: QueuedEvent };

/** The policy workflow's state: the event being applied, last applied event, waiting events, recent results. */
export const policyStateQuery = defineQuery<PolicyStateView>('policyState');

/** The newest event applied to the policy and its result, for an operator's quick look. */
export const lastAppliedQuery = defineQuery<{ position?: AppliedPosition; result?: FinishedEvent['result'] }>(
  'lastApplied',
);

/** One line per event not finished yet: the one being applied first, then the waiting ones. */
export interface PendingEventView {
  source: string;
  id: string;
  type: string;
  sequence?: string;
  time?: string;
  state: 'applying' | 'waiting';
}
export const pendingEventsQuery = defineQuery<PendingEventView[]>('pendingEvents');

/**
 * The delete waiting until the policy is unused (status pending: its checks so far and the next one), or
 * how the last one ended; undefined when no delete of this policy has waited.
 */
export const deferredDeletionQuery = defineQuery<DeferredDeletion | undefined>('deferredDeletion');

/** An event workflow's result so far (undefined while its event waits). */
export const eventResultQuery = defineQuery<EventResult | undefined>('eventResult');
