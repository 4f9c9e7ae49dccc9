// The floor's per-policy workflow (bench only, never registered by the service): the service's policy
// workflow with the work taken out. It keeps what every event costs Temporal on the service's shape:
//   - the same workflow type name (`policyWorkflow`, exported so by ./workflows.ts), so the service's
//     real delivery activities (src/activities/delivery-activities.ts) start it by update-with-start
//     under the same ID (`policy/<name>`), search attributes, summary and settings;
//   - the same messages (applyEventUpdate answered with the result, deliverEventSignal answered by
//     the eventOutcome signal through the same local-first sendEventResults activity);
//   - the same continue-as-new rule (the server's suggestion, or the delivered maxHistoryLength, which
//     is the worker's POLICY_HISTORY_LIMIT) and the same versioning behaviour.
// Left out: everything the service does for an event beyond that: no IAM calls, no decide, no queue
// or ordering, no burst gathering (its timers), no read fence, no deferred deletions, no recent
// results for repeats. Every event is answered at once as `unchanged`.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { resultWithoutWrites } from '../../src/domain/event-result';
import type { OutgoingResult } from '../../src/domain/policy-queue';
import type { EventResult, PolicyEvent } from '../../src/domain/types';
import type { DeliveryActivities } from '../../src/messages/activity-contracts';
import { applyEventUpdate, deliverEventSignal } from '../../src/messages/workflow-messages';
import type { PolicyWorkflowInput, PolicyWorkflowSettings } from '../../src/messages/workflow-io';
import { proxyLocalFirstActivities, TEMPORAL_CALL_OPTIONS } from '../../src/workflows/local-first-activities';
import { versionedAs } from '../../src/workflows/versioning';

const messaging = proxyLocalFirstActivities<DeliveryActivities>(TEMPORAL_CALL_OPTIONS);

/** What the floor answers every event: nothing to do, nothing written. */
export function floorResult(event: PolicyEvent): EventResult {
  return resultWithoutWrites(event, 'unchanged', { reason: 'floor: no IAM work' });
}

versionedAs('AUTO_UPGRADE', floorPolicyWorkflow);

export async function floorPolicyWorkflow(input: PolicyWorkflowInput): Promise<void> {
  // The service's rule: the newest settings a delivery brought win (only maxHistoryLength matters here).
  let maxHistoryLength = input.maxHistoryLength;
  const adopt = (latest: PolicyWorkflowSettings | undefined) => {
    if (latest?.maxHistoryLength !== undefined) maxHistoryLength = latest.maxHistoryLength;
  };
  const outbox: OutgoingResult[] = [];
  setHandler(deliverEventSignal, ({ event, replyTo, settings }) => {
    adopt(settings);
    outbox.push({ replyTo, result: floorResult(event) });
  });
  setHandler(applyEventUpdate, ({ event, settings }) => {
    adopt(settings);
    return Promise.resolve(floorResult(event));
  });

  const shouldContinueAsNew = (): boolean =>
    workflowInfo().continueAsNewSuggested ||
    (maxHistoryLength !== undefined && workflowInfo().historyLength >= maxHistoryLength);

  for (;;) {
    await condition(() => outbox.length > 0 || shouldContinueAsNew());
    if (outbox.length > 0) await messaging.sendEventResults(outbox.splice(0));
    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      if (outbox.length > 0) await messaging.sendEventResults(outbox.splice(0));
      return await continueAsNew<typeof floorPolicyWorkflow>({
        policyKey: input.policyKey,
        ...(input.coalesce !== undefined ? { coalesce: input.coalesce } : {}),
        ...(input.deleteWait !== undefined ? { deleteWait: input.deleteWait } : {}),
        ...(maxHistoryLength !== undefined ? { maxHistoryLength } : {}),
      });
    }
  }
}
