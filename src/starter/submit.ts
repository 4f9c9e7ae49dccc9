// The starter as a library: validates events, starts their event workflows (deduplicated by workflow ID)
// and reports each one's outcome. The CLI, and any other event source, goes through here.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ManagedByTag } from '../config/iam';
import type { TemporalConfig } from '../config/temporal';
import { loadAllowedAccounts } from '../config/iam';
import { validateEvent } from '../sources/event-validation';
import { fairnessKeyOf } from '../domain/accounts';
import { taskQueueOf } from '../domain/task-queues';
import type { EventResult, Outcome } from '../domain/types';
import { eventWorkflowId, payloadHash } from '../temporal/event-identity';
import type { eventWorkflow } from '../workflows/event-workflow';
import { eventDetails, eventSearchAttributes, eventSummary } from '../messages/search-attributes';
import { explainStartFailure } from '../temporal/search-attribute-check';

/** `accepted`: the event workflow started and the outcome is not awaited. Every other word is final. */
export type ReportedOutcome = Outcome | 'accepted';

export interface SubmitReport {
  source?: string;
  id?: string;
  policyName?: string;
  /** The account the event named (absent: the worker's default account). */
  account?: string;
  outcome: ReportedOutcome;
  reason?: string;
  /** For duplicates: how the first delivery ended, when known. */
  firstOutcome?: Outcome;
  entities?: EventResult['entities'];
  workflowId?: string;
  /** The final record, when the outcome was awaited. */
  result?: EventResult;
  /** Line (or array position) in the submitted input. */
  line?: number;
}

export interface SubmitOptions {
  client: Client;
  /** TEMPORAL_TASK_QUEUE: where event workflows start, unless their account has a queue of its own. */
  taskQueue: string;
  /** TEMPORAL_ACCOUNT_TASK_QUEUES: events naming one of these start on its own queue (src/domain/task-queues.ts). */
  accountTaskQueues?: readonly string[];
  /** Wait for each event's final outcome instead of returning once it is accepted. */
  wait: boolean;
  /** Tag keys events may not set: the service's own managed-by tag. */
  reservedTagKeys?: string[];
  /** The accounts events may name (IAM_ACCOUNTS), when known here: others are rejected before a workflow starts. */
  allowedAccounts?: readonly string[];
  /** Set PolicyName, EventType and EventSource on the event workflow (default true; docs/operating.md). */
  searchAttributes?: boolean;
  /**
   * The longest Temporal may take to answer a request that starts or looks up the event (the client's
   * own retries included), so that a hung server fails the submission like an unreachable one. The wait
   * for the outcome (`wait`) is not bounded by it. Absent: no deadline.
   */
  requestTimeoutMs?: number;
}

/** `call` under the request deadline, when there is one. */
function bounded<T>(options: SubmitOptions, call: () => Promise<T>): Promise<T> {
  if (options.requestTimeoutMs === undefined) return call();
  return options.client.connection.withDeadline(Date.now() + options.requestTimeoutMs, call);
}

type EventHandle = WorkflowHandle<typeof eventWorkflow>;

/** The options every entry point (the CLI, ingest, consume-sqs) takes from the service's configuration. */
export function submitOptionsFor(
  client: SubmitOptions['client'],
  config: { temporal: TemporalConfig; managedByTag: ManagedByTag },
  wait: boolean,
  allowedAccounts: readonly string[] | undefined = loadAllowedAccounts(),
): SubmitOptions {
  return {
    client,
    taskQueue: config.temporal.taskQueue,
    accountTaskQueues: config.temporal.accountTaskQueues,
    wait,
    reservedTagKeys: [config.managedByTag.key],
    ...(allowedAccounts !== undefined ? { allowedAccounts } : {}),
    searchAttributes: config.temporal.searchAttributes,
  };
}

/** Submits one CloudEvent (parsed JSON). Never throws for a bad event; throws for connection problems. */
export async function submitEvent(raw: unknown, options: SubmitOptions): Promise<SubmitReport> {
  let validation: ReturnType<typeof validateEvent>;
  try {
    validation = validateEvent(raw, {
      reservedTagKeys: options.reservedTagKeys,
      ...(options.allowedAccounts !== undefined ? { allowedAccounts: options.allowedAccounts } : {}),
    });
  } catch (error) {
    // Validation is pure; if hostile input still breaks it, that event is rejected, not the stream.
    return { outcome: 'rejected', reason: `the event could not be validated: ${(error as Error).message}` };
  }
  if (!validation.ok) {
    const { source, id, policyName, reason } = validation;
    return { source, id, policyName, outcome: 'rejected', reason };
  }
  const { event } = validation;
  const workflowId = eventWorkflowId(event.source, event.id);
  const hash = payloadHash(event);
  const identity = {
    source: event.source,
    id: event.id,
    policyName: event.policyName,
    ...(event.account !== undefined ? { account: event.account } : {}),
    workflowId,
  };
  try {
    const handle = await bounded(options, () =>
      options.client.workflow.start<typeof eventWorkflow>('eventWorkflow', {
        workflowId,
        taskQueue: taskQueueOf(
          { base: options.taskQueue, accounts: options.accountTaskQueues ?? [] },
          event.account,
        ),
        args: [{ event, payloadHash: hash }],
        memo: { payloadHash: hash },
        // A completed event is never processed again; a failed one may be resubmitted.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        staticSummary: eventSummary(event),
        staticDetails: eventDetails(event),
        priority: { fairnessKey: fairnessKeyOf(event.account) },
        ...(options.searchAttributes !== false
          ? { typedSearchAttributes: eventSearchAttributes(event) }
          : {}),
      }),
    );
    if (!options.wait) return { ...identity, outcome: 'accepted' };
    return { ...identity, ...(await awaitOutcome(handle)) };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      const explained = explainStartFailure(error, options.client.options.namespace);
      // Refused as invalid (and not for a missing search attribute, a configuration error): asking
      // again gets the same answer, so the event is rejected rather than retried or dead-lettered.
      const refusal = explained === error ? invalidArgument(error) : undefined;
      if (refusal !== undefined) {
        return {
          ...identity,
          outcome: 'rejected',
          reason: `Temporal refused the event's workflow: ${refusal}`,
        };
      }
      throw explained;
    }
    return { ...identity, ...(await reportRepeat(options, workflowId, hash)) };
  }
}

/** gRPC status INVALID_ARGUMENT. */
const INVALID_ARGUMENT = 3;

/**
 * The server's message when `error` (or an error in its cause chain: the client wraps gRPC errors in a
 * ServiceError) is INVALID_ARGUMENT. Duck-typed: gRPC errors need not be this realm's Error.
 */
export function invalidArgument(error: unknown): string | undefined {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && typeof cause === 'object' && cause !== null; depth += 1) {
    const { code, details, message } = cause as { code?: unknown; details?: unknown; message?: unknown };
    if (code === INVALID_ARGUMENT) {
      return typeof details === 'string' && details !== '' ? details : String(message);
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The same (source, id) again: a duplicate when the payload matches the first delivery's, else a conflict. */
async function reportRepeat(
  options: SubmitOptions,
  workflowId: string,
  hash: string,
): Promise<Pick<SubmitReport, 'outcome' | 'reason' | 'firstOutcome'>> {
  const handle: EventHandle = options.client.workflow.getHandle(workflowId);
  const description = await bounded(options, () => handle.describe());
  const firstHash = description.memo?.payloadHash;
  if (firstHash !== hash) {
    return {
      outcome: 'conflict',
      reason: `this (source, id) was first received at ${description.startTime.toISOString()} with a different payload; this delivery was not applied`,
    };
  }
  if (!options.wait && description.status.name === 'RUNNING') return { outcome: 'duplicate' };
  const first = await awaitOutcome(handle);
  return { outcome: 'duplicate', firstOutcome: first.outcome === 'accepted' ? undefined : first.outcome };
}

async function awaitOutcome(
  handle: EventHandle,
): Promise<Pick<SubmitReport, 'outcome' | 'reason' | 'entities' | 'result'>> {
  try {
    const result = await handle.result();
    return { outcome: result.outcome, reason: result.reason, entities: result.entities, result };
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      const cause = error.cause;
      const detail =
        cause instanceof ApplicationFailure ? (cause.details?.[0] as EventResult | undefined) : undefined;
      return {
        outcome: 'failed',
        reason: cause?.message ?? error.message,
        ...(detail ? { result: detail } : {}),
      };
    }
    throw error;
  }
}
