// How an event's result is built, one way for the policy workflow and its queue.
import type { EventResult, Outcome, PolicyEvent } from './types';

type EventIdentity = Pick<EventResult, 'source' | 'id' | 'type' | 'policyName' | 'account'>;

/** What every result repeats of its event, so a result can be matched to the event alone. */
export function eventIdentity(event: PolicyEvent): EventIdentity {
  return {
    source: event.source,
    id: event.id,
    type: event.type,
    policyName: event.policyName,
    ...(event.account !== undefined ? { account: event.account } : {}),
  };
}

/** A result with no IAM write behind it (superseded, rejected, failed, or a plan that writes nothing). */
export function resultWithoutWrites(
  event: PolicyEvent,
  outcome: Outcome,
  details: Omit<EventResult, keyof EventIdentity | 'outcome' | 'actions'> = {},
): EventResult {
  return { ...eventIdentity(event), outcome, ...details, actions: [] };
}
