// The floor with the service's activity shape (bench only; FLOOR_SHAPE=activities on the floor's worker;
// FLOOR_SHAPE=writes leaves the observation's local activity out):
// bench/floor/policy-workflow.ts plus, for each event, the Temporal steps the service takes around its
// IAM calls, with no IAM call in them:
//   - an observation: one local activity per event (the service's inspectPolicy), then
//   - a write, when the service would write: an ordinary activity (the service's applyPlan), scheduled
//     after the workflow task that records it, with the same timeouts and heartbeat timeout.
// The work inside both is the delivery activities' sendEventResults with nothing to send (a real
// activity of the service's worker that returns at once). "Would write": an upsert whose document differs
// from the last one applied, a delete of a policy that exists, as the service decides against IAM.
// Events of a policy are applied one at a time, in arrival order, and an event with a newer one waiting
// is superseded. Left out, as in the plain floor: IAM, decide, ordering by sequence, the burst window's
// timers, the read fence, deferred deletions, repeats.
import { continueAsNew, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import { resultWithoutWrites } from '../../src/domain/event-result';
import type { OutgoingResult } from '../../src/domain/policy-queue';
import type { EventResult, PolicyEvent } from '../../src/domain/types';
import type { DeliveryActivities } from '../../src/messages/activity-contracts';
import { applyEventUpdate, deliverEventSignal } from '../../src/messages/workflow-messages';
import type { PolicyWorkflowInput } from '../../src/messages/workflow-io';
import { versionedAs } from '../../src/workflows/versioning';
import { floorSettings, serveUntilContinueAsNew } from './policy-workflow';

/** The observation's place: a local activity, as the service's first attempt at inspectPolicy. */
const observation = proxyLocalActivities<Pick<DeliveryActivities, 'sendEventResults'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 2 },
});
/** The write's place: an ordinary activity with applyPlan's options. */
const write = proxyActivities<Pick<DeliveryActivities, 'sendEventResults'>>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** What the shaped floor carries across continue-as-new, so that a new run writes as the service would. */
export interface ShapedFloorInput extends PolicyWorkflowInput {
  lastDocument?: string;
  exists?: boolean;
}

/** The service's shape: the observation's local activity per event and the write's activity task. */
export const shapedFloorPolicyWorkflow = shapedFloor({ observe: true });

/**
 * FLOOR_SHAPE=writes: the write's activity task and no local activity per event, the Temporal shape of
 * an observation made at the hand-over, in the event workflow's delivery (docs/decisions/floor-ratio.md).
 */
export const writesOnlyFloorPolicyWorkflow = shapedFloor({ observe: false });

function shapedFloor({ observe }: { observe: boolean }) {
  const workflow = (input: ShapedFloorInput) => shapedFloorRun(input, observe);
  versionedAs('AUTO_UPGRADE', workflow);
  return workflow;
}

async function shapedFloorRun(input: ShapedFloorInput, observe: boolean): Promise<void> {
  const settings = floorSettings(input);
  let lastDocument = input.lastDocument;
  let exists = input.exists ?? false;
  // One event at a time, in arrival order; one with a newer event already waiting behind it is
  // superseded without a look at IAM, as the service settles it (its burst window's timers left out).
  let tail: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  const apply = (event: PolicyEvent): Promise<EventResult> => {
    waiting += 1;
    const applied = tail.then(async () => {
      waiting -= 1;
      if (waiting > 0)
        return resultWithoutWrites(event, 'superseded', { reason: 'floor: a newer event waits' });
      if (observe) await observation.sendEventResults([]);
      const document = event.document === undefined ? undefined : JSON.stringify(event.document);
      const upsert = document !== undefined;
      if (upsert ? document !== lastDocument || !exists : exists) await write.sendEventResults([]);
      lastDocument = document;
      exists = upsert;
      return resultWithoutWrites(event, 'unchanged', { reason: 'floor: no IAM work' });
    });
    tail = applied;
    return applied;
  };
  const outbox: OutgoingResult[] = [];
  let inFlight = 0;
  setHandler(deliverEventSignal, ({ event, replyTo, settings: latest }) => {
    settings.adopt(latest);
    inFlight += 1;
    void apply(event).then((result) => {
      inFlight -= 1;
      outbox.push({ replyTo, result });
    });
  });
  setHandler(applyEventUpdate, ({ event, settings: latest }) => {
    settings.adopt(latest);
    return apply(event);
  });
  await serveUntilContinueAsNew(outbox, settings, () => inFlight === 0);
  return await continueAsNew<(input: ShapedFloorInput) => Promise<void>>({
    ...settings.carried(),
    ...(lastDocument !== undefined ? { lastDocument } : {}),
    exists,
  });
}
