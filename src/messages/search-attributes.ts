// The search attributes that make the Temporal UI a console: find an event's or a policy's workflows by
// policy, type, source and outcome. One definition for the starter, the activities and the workflows.
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { EventResult, PolicyEvent } from '../domain/types';

/** The policy's lower-cased name (IAM names are case-insensitive): on event and policy workflows. */
export const POLICY_NAME = defineSearchAttributeKey('PolicyName', SearchAttributeType.KEYWORD);
/** `iam.policy.upsert` or `iam.policy.delete`: on event workflows. */
export const EVENT_TYPE = defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD);
/** The CloudEvent's `source`: on event workflows. */
export const EVENT_SOURCE = defineSearchAttributeKey('EventSource', SearchAttributeType.KEYWORD);
/** The event's final outcome, set when its workflow ends. */
export const OUTCOME = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);

/** Every attribute the service sets; a namespace must have them all (or TEMPORAL_SEARCH_ATTRIBUTES=off). */
export const SERVICE_SEARCH_ATTRIBUTES = [POLICY_NAME, EVENT_TYPE, EVENT_SOURCE, OUTCOME] as const;

export function eventSearchAttributes(event: PolicyEvent): SearchAttributePair[] {
  return [
    { key: POLICY_NAME, value: event.policyName.toLowerCase() },
    { key: EVENT_TYPE, value: event.type },
    { key: EVENT_SOURCE, value: event.source },
  ];
}

export function policySearchAttributes(policyName: string): SearchAttributePair[] {
  return [{ key: POLICY_NAME, value: policyName.toLowerCase() }];
}

/** "upsert reports-read (seq 2) from urn:example:access-requests": the event workflow's summary in the UI. */
export function eventSummary(event: PolicyEvent): string {
  const verb = event.type === 'iam.policy.upsert' ? 'upsert' : 'delete';
  const position =
    event.sequence !== undefined ? ` (seq ${event.sequence})` : event.time ? ` (time ${event.time})` : '';
  return `${verb} ${event.policyName}${position} from ${event.source}`;
}

/** Longer details for the UI: the event's identity and what it asks for, as Temporal markdown. */
export function eventDetails(event: PolicyEvent): string {
  const lines = [
    `**event** \`${event.id}\` from \`${event.source}\``,
    `**type** \`${event.type}\`, **policy** \`${event.path}${event.policyName}\``,
  ];
  if (event.sequence !== undefined) lines.push(`**sequence** ${event.sequence}`);
  if (event.time) lines.push(`**time** ${event.time}`);
  if (event.tags) lines.push(`**tags** ${Object.keys(event.tags).join(', ') || '(none)'}`);
  return lines.join('\n\n');
}

export function policySummary(policyName: string): string {
  return `policy ${policyName.toLowerCase()}: applies its events one at a time`;
}

export function outcomeSearchAttributes(result: Pick<EventResult, 'outcome'>): SearchAttributePair[] {
  return [{ key: OUTCOME, value: result.outcome }];
}
