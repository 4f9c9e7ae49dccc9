// One workflow per event, its ID derived from (source, id): starting it twice is how duplicates are caught.
// It hands the event to its policy's workflow and waits for the outcome.
import {
  ApplicationFailure,
  condition,
  proxySinks,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeliveryActivities } from '../messages/activity-contracts';
import type { EventResult } from '../domain/types';
import { proxyLocalFirstActivities, TEMPORAL_CALL_OPTIONS } from './local-first-activities';
import { eventOutcomeSignal, eventResultQuery } from '../messages/workflow-messages';
import { outcomeSearchAttributes, POLICY_NAME } from '../messages/search-attributes';
import type { ServiceSinks } from '../messages/sinks';
import { versionedAs } from './versioning';
import type { EventWorkflowInput } from '../messages/workflow-io';

const delivery = proxyLocalFirstActivities<DeliveryActivities>(TEMPORAL_CALL_OPTIONS);

const { events } = proxySinks<ServiceSinks>();

/** If no outcome came by then, hand the event over again: the policy workflow answers repeats from memory. */
const REDELIVERY_INTERVAL = '10 minutes';

// Worker Versioning (docs/deploying.md): an event workflow usually lives for seconds, so it is pinned to
// the build it started on and ends there: its own code may change from one build to the next without
// a patch. What it exchanges with the policy workflows (already on the newer build) must still be
// understood both ways. The cost: a build's workers run until the event workflows pinned to it ended.
versionedAs('PINNED', eventWorkflow);

export async function eventWorkflow(input: EventWorkflowInput): Promise<EventResult> {
  let result: EventResult | undefined;
  setHandler(eventOutcomeSignal, (outcome) => {
    result ??= outcome;
  });
  setHandler(eventResultQuery, () => result);

  const { workflowId, runId } = workflowInfo();
  const replyTo = { workflowId, runId };
  // First as an update whose answer is the result, so the event workflow usually ends in its first
  // workflow task with no signal back; when no answer comes within a few seconds, by signal (durable).
  const answer = await delivery.deliverEventAndWait({ event: input.event, replyTo });
  result ??= answer;
  while (result === undefined) {
    await delivery.deliverEvent({ event: input.event, replyTo });
    await condition(() => result !== undefined, REDELIVERY_INTERVAL);
  }

  const final = result;
  // Only where the starter set search attributes: the namespace then knows them (or the start had failed).
  if (workflowInfo().typedSearchAttributes.get(POLICY_NAME) !== undefined) {
    upsertSearchAttributes(outcomeSearchAttributes(final));
  }
  events.finished(final);
  if (final.outcome === 'failed') {
    // Fail the workflow so the event shows as failed in the UI and can be resubmitted or reset.
    throw ApplicationFailure.nonRetryable(
      `event could not be applied: ${final.reason ?? 'unknown error'}`,
      'EventFailed',
      final,
    );
  }
  return final;
}
