// Messages between event and policy workflows that go through the client: an event to its policy workflow
// (from an activity, durable and retried, never from the starter, which could stop between starting the
// event workflow and delivering the event) by update, whose answer is the result, or by signal; and
// results back to the event workflows by signal when they were not an update's answer.
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { accountKey, accountRejection, fairnessKeyOf } from '../domain/accounts';
import { resultWithoutWrites } from '../domain/event-result';
import type { DeliveryActivities } from '../messages/activity-contracts';
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { policyKey, policyWorkflowId } from '../domain/ids';
import { waitingDeliveries } from '../domain/waiting-deliveries';
import type { EventDelivery, OutgoingResult } from '../domain/policy-queue';
import type { EventResult, PolicyEvent } from '../domain/types';
import { applyEventUpdate, deliverEventSignal, eventOutcomeSignal } from '../messages/workflow-messages';
import type { policyWorkflow } from '../workflows/policy-workflow';
import type { EventMessage, PolicyWorkflowSettings } from '../messages/workflow-io';
import type { CoalesceWindow } from '../domain/coalescing';
import type { DeleteWaitSettings } from '../domain/deferred-deletion';
import { policySearchAttributes, policySummary } from '../messages/search-attributes';
import { taskQueueOf } from '../domain/task-queues';

export interface DeliveryDependencies {
  client: Client;
  /** TEMPORAL_TASK_QUEUE: the policy workflows run there, unless their account has a queue of its own. */
  taskQueue: string;
  /** TEMPORAL_ACCOUNT_TASK_QUEUES: the accounts whose policy workflows run on their own queue. */
  accountTaskQueues?: readonly string[];
  /** Policy workflows continue-as-new at this history length (default: when the server suggests it). */
  policyHistoryLimit?: number;
  /** How long policy workflows gather a burst before applying its newest event (their default when absent). */
  coalesce?: CoalesceWindow;
  /** How policy workflows let deletes of a policy in use wait (DELETE_WAIT_*; their default when absent). */
  deleteWait?: DeleteWaitSettings;
  /** Set the PolicyName search attribute on policy workflows (default true; the namespace must know it). */
  searchAttributes?: boolean;
  /** How long `deliverEventAndWait` waits for a result (default 5 s, under the 8 s that would make the
   * event workflow's task heartbeat); 0: it does not try, every event goes by signal. */
  resultWaitMs?: number;
  /**
   * How many `deliverEventAndWait` calls may wait at once in this worker (default 15, half of the SDK's
   * 40 workflow task slots less its 10 polls; src/config/worker.ts sizes it from the slots set): each
   * holds a local activity slot and its event workflow's task, which the policy workflows need too.
   * Beyond it, events go by signal.
   */
  maxWaitingDeliveries?: number;
  /**
   * How many of them may be for one policy (default 5): the server takes at most 10 updates in flight per
   * workflow (`history.maxInFlightUpdates`) and refuses more only after the client has retried for a
   * while. The rest of a burst goes by signal at once; all but its newest event are superseded anyway.
   */
  maxWaitingPerPolicy?: number;
  /**
   * How many of them may be for one account (default: half of `maxWaitingDeliveries` when events may
   * name accounts, else all): a flood in one account then leaves the others deliveries that wait.
   */
  maxWaitingPerAccount?: number;
  /**
   * The accounts events may name (IAM_ACCOUNTS) and the worker's default account. Absent: events may name
   * none. An event naming another account is answered `rejected` here, before any AWS call or policy workflow.
   */
  accounts?: { allowed: readonly string[]; defaultAccountId(): Promise<string> };
}

/** Where an event goes: its policy's account key (undefined: the default account), or why it may not. */
type Route = { event: PolicyEvent; account?: string } | { rejected: string };

export const DEFAULT_RESULT_WAIT_MS = 5_000;
export const DEFAULT_MAX_WAITING_DELIVERIES = 15;
export const DEFAULT_MAX_WAITING_PER_POLICY = 5;
/** The default account's key among the waiting deliveries (an account ID has 12 digits). */
const DEFAULT_ACCOUNT = 'default';

export function createDeliveryActivities({
  client,
  taskQueue,
  accountTaskQueues = [],
  policyHistoryLimit,
  coalesce,
  deleteWait,
  searchAttributes = true,
  resultWaitMs = DEFAULT_RESULT_WAIT_MS,
  maxWaitingDeliveries = DEFAULT_MAX_WAITING_DELIVERIES,
  maxWaitingPerPolicy = DEFAULT_MAX_WAITING_PER_POLICY,
  maxWaitingPerAccount,
  accounts,
}: DeliveryDependencies): DeliveryActivities {
  const waiting = waitingDeliveries({
    total: maxWaitingDeliveries,
    // With several accounts, none may take all of them: a flood in one leaves the others room to wait.
    perAccount:
      maxWaitingPerAccount ??
      (accounts?.allowed.length ? Math.max(1, Math.floor(maxWaitingDeliveries / 2)) : maxWaitingDeliveries),
    perPolicy: maxWaitingPerPolicy,
  });
  // Sent with every delivery too: running policy workflows take them up (a policy workflow lives long).
  const settings: PolicyWorkflowSettings = {
    ...(policyHistoryLimit !== undefined ? { maxHistoryLength: policyHistoryLimit } : {}),
    ...(coalesce !== undefined ? { coalesce } : {}),
    ...(deleteWait !== undefined ? { deleteWait } : {}),
  };
  const routing = { base: taskQueue, accounts: accountTaskQueues };
  // The policy's task queue goes along too: a running policy workflow on another queue (its account has
  // gained or lost a queue of its own since it started) moves there before it applies the event.
  const message = (
    delivery: EventDelivery,
    event: PolicyEvent,
    account: string | undefined,
  ): EventMessage => ({
    ...delivery,
    event,
    settings: { ...settings, taskQueue: taskQueueOf(routing, account) },
  });
  const policyWorkflowStart = (policyName: string, account: string | undefined) => ({
    workflowId: policyWorkflowId(policyName, account),
    taskQueue: taskQueueOf(routing, account),
    args: [{ policyKey: policyKey(policyName, account), ...settings }] as Parameters<typeof policyWorkflow>,
    staticSummary: policySummary(policyName, account),
    // Its tasks and activities inherit the key: fairness per account across the task queue.
    priority: { fairnessKey: fairnessKeyOf(account) },
    ...(searchAttributes ? { typedSearchAttributes: policySearchAttributes(policyName, account) } : {}),
  });

  /**
   * The allow-list first (no AWS call); then an event naming the default account goes to the same policy
   * workflow as one naming none, without the account, so that one workflow writes each policy.
   */
  const route = async (event: PolicyEvent): Promise<Route> => {
    if (event.account === undefined) return { event };
    const problem = accountRejection(event.account, accounts?.allowed ?? []);
    if (problem) return { rejected: problem };
    const account = accountKey(event.account, await accounts!.defaultAccountId());
    if (account !== undefined) return { event, account };
    const { account: _default, ...inDefault } = event;
    return { event: inDefault };
  };

  return {
    /** Signal-with-start: starts the policy workflow if it is not running. Safe to repeat (it deduplicates). */
    async deliverEvent(delivery: EventDelivery): Promise<void> {
      const routed = await route(delivery.event);
      // deliverEventAndWait, always asked first, answers such an event `rejected`: only a change of the
      // allowed accounts in between comes here.
      if ('rejected' in routed) throw ApplicationFailure.nonRetryable(routed.rejected, 'AccountNotAllowed');
      await client.workflow.signalWithStart<typeof policyWorkflow, [EventMessage]>('policyWorkflow', {
        ...policyWorkflowStart(delivery.event.policyName, routed.account),
        signal: deliverEventSignal,
        signalArgs: [message(delivery, routed.event, routed.account)],
      });
    },

    /**
     * Update-with-start: hands the event over (starting the policy workflow if it is not running) and
     * waits up to `resultWaitMs` for its result. Undefined when none came (the policy workflow is busy or
     * handing over to a new run, too many deliveries wait already, or the update failed): the caller then
     * delivers by signal, which is durable, and is answered by signal. Safe to repeat: the policy workflow
     * takes an event once and answers repeats from memory.
     */
    async deliverEventAndWait(delivery: EventDelivery): Promise<EventResult | undefined> {
      const routed = await route(delivery.event);
      if ('rejected' in routed)
        return resultWithoutWrites(delivery.event, 'rejected', { reason: routed.rejected });
      if (resultWaitMs <= 0) return undefined;
      const account = routed.account ?? DEFAULT_ACCOUNT;
      if (!waiting.tryEnter(account, delivery.event.policyName)) return undefined;
      try {
        return await client.withDeadline(Date.now() + resultWaitMs, () =>
          client.workflow.executeUpdateWithStart(applyEventUpdate, {
            args: [message(delivery, routed.event, routed.account)],
            startWorkflowOperation: new WithStartWorkflowOperation<typeof policyWorkflow>('policyWorkflow', {
              ...policyWorkflowStart(delivery.event.policyName, routed.account),
              workflowIdConflictPolicy: 'USE_EXISTING',
            }),
          }),
        );
      } catch (error) {
        log.info('no result by update; delivering by signal', {
          policy: delivery.event.policyName,
          error: error instanceof Error ? error.message : String(error),
        });
        return undefined;
      } finally {
        waiting.leave(account, delivery.event.policyName);
      }
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
