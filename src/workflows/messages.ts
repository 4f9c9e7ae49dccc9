// Signals and queries between the starter, the event workflows and the policy workflows.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { EventDelivery, PolicyState } from '../domain/policy-queue';
import type { EventResult } from '../domain/types';

/** An event workflow hands its event to the policy workflow (sent with signal-with-start). */
export const deliverEventSignal = defineSignal<[EventDelivery]>('deliverEvent');

/** The policy workflow tells an event workflow how its event ended. */
export const eventOutcomeSignal = defineSignal<[EventResult]>('eventOutcome');

/** The policy workflow's state: last applied event, waiting events, recent results. */
export const policyStateQuery = defineQuery<PolicyState>('policyState');

/** An event workflow's result so far (undefined while its event waits). */
export const eventResultQuery = defineQuery<EventResult | undefined>('eventResult');
