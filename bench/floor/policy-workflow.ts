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
  const settings = floorSettings(input);
  const outbox: OutgoingResult[] = [];
  setHandler(deliverEventSignal, ({ event, replyTo, settings: latest }) => {
    settings.adopt(latest);
    outbox.push({ replyTo, result: floorResult(event) });
  });
  setHandler(applyEventUpdate, ({ event, settings: latest }) => {
    settings.adopt(latest);
    return Promise.resolve(floorResult(event));
  });
  await serveUntilContinueAsNew(outbox, settings);
  return await continueAsNew<typeof floorPolicyWorkflow>(settings.carried());
}

/**
 * The service's rule for settings: the newest a delivery brought win (only maxHistoryLength matters to
 * a floor), and they are carried across continue-as-new.
 */
export function floorSettings(input: PolicyWorkflowInput) {
  let maxHistoryLength = input.maxHistoryLength;
  return {
    adopt(latest: PolicyWorkflowSettings | undefined): void {
      if (latest?.maxHistoryLength !== undefined) maxHistoryLength = latest.maxHistoryLength;
    },
    /** The service's continue-as-new rule: the server's suggestion, or the history limit. */
    historyFull(): boolean {
      return (
        workflowInfo().continueAsNewSuggested ||
        (maxHistoryLength !== undefined && workflowInfo().historyLength >= maxHistoryLength)
      );
    },
    carried(): PolicyWorkflowInput {
      return {
        policyKey: input.policyKey,
        ...(input.coalesce !== undefined ? { coalesce: input.coalesce } : {}),
        ...(input.deleteWait !== undefined ? { deleteWait: input.deleteWait } : {}),
        ...(maxHistoryLength !== undefined ? { maxHistoryLength } : {}),
      };
    },
  };
}

/**
 * A floor's main loop: results asked for by signal go out through the local-first activity, as the
 * service sends them; returns once the history is full and nothing is in hand (`idle`), to continue as new.
 */
export async function serveUntilContinueAsNew(
  outbox: OutgoingResult[],
  settings: Pick<ReturnType<typeof floorSettings>, 'historyFull'>,
  idle: () => boolean = () => true,
): Promise<void> {
  for (;;) {
    await condition(() => outbox.length > 0 || settings.historyFull());
    if (outbox.length > 0) await messaging.sendEventResults(outbox.splice(0));
    if (settings.historyFull()) {
      await condition(() => allHandlersFinished() && idle());
      if (outbox.length > 0) await messaging.sendEventResults(outbox.splice(0));
      return;
    }
  }
}
