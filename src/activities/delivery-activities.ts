// Messages between event and policy workflows that go through the client: an event to its policy workflow
// (from an activity, durable and retried, never from the starter, which could stop between starting the
// event workflow and delivering the event), and results back to the event workflows.
import { log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { policyWorkflowId } from '../domain/ids';
import type { EventDelivery, OutgoingResult } from '../domain/policy-queue';
import { deliverEventSignal, eventOutcomeSignal } from '../workflows/messages';
import type { policyWorkflow } from '../workflows/policy-workflow';
import { policySearchAttributes, policySummary } from '../workflows/search-attributes';

export interface DeliveryDependencies {
  client: Client;
  /** The task queue the policy workflows run on (the worker's own). */
  taskQueue: string;
  /** Policy workflows continue-as-new at this history length (default: when the server suggests it). */
  policyHistoryLimit?: number;
  /** Set the PolicyName search attribute on policy workflows (default true; the namespace must know it). */
  searchAttributes?: boolean;
}

export function createDeliveryActivities({
  client,
  taskQueue,
  policyHistoryLimit,
  searchAttributes = true,
}: DeliveryDependencies) {
  return {
    /** Signal-with-start: starts the policy workflow if it is not running. Safe to repeat (it deduplicates). */
    async deliverEvent(delivery: EventDelivery): Promise<void> {
      const policyKey = delivery.event.policyName.toLowerCase();
      await client.workflow.signalWithStart<typeof policyWorkflow, [EventDelivery]>('policyWorkflow', {
        workflowId: policyWorkflowId(delivery.event.policyName),
        taskQueue,
        args: [{ policyKey, maxHistoryLength: policyHistoryLimit }],
        signal: deliverEventSignal,
        signalArgs: [delivery],
        staticSummary: policySummary(delivery.event.policyName),
        ...(searchAttributes
          ? { typedSearchAttributes: policySearchAttributes(delivery.event.policyName) }
          : {}),
      });
    },

    /**
     * Signals each event workflow its result. Safe to repeat: an event workflow keeps the first result.
     * One that is gone (finished, terminated, replaced by a newer run) is skipped: its result stays in
     * the policy workflow's recent results.
     */
    async sendEventResults(outgoing: OutgoingResult[]): Promise<void> {
      await Promise.all(
        outgoing.map(async ({ replyTo, result }) => {
          try {
            await client.workflow
              .getHandle(replyTo.workflowId, replyTo.runId)
              .signal(eventOutcomeSignal, result);
          } catch (error) {
            if (!(error instanceof WorkflowNotFoundError)) throw error;
            log.warn('event workflow gone; result not delivered', { workflowId: replyTo.workflowId });
          }
        }),
      );
    },
  };
}

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;
