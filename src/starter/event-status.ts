// `starter status SOURCE ID`: how an event ended, or that it is still running, or that Temporal does
// not know it. Reads only: describe, result and queries.
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { policyWorkflowId } from '../domain/ids';
import type { EventResult, Outcome } from '../domain/types';
import { eventWorkflowId } from '../temporal/event-identity';
import { pendingEventsQuery } from '../messages/workflow-messages';
import { ACCOUNT, POLICY_NAME } from '../messages/search-attributes';
import type { eventWorkflow } from '../workflows/event-workflow';

export interface EventStatus {
  source: string;
  id: string;
  workflowId: string;
  /** The final outcome; `running` while it waits or is applied; `unknown` when Temporal has no such event. */
  outcome: Outcome | 'running' | 'unknown';
  /** The workflow's status as Temporal names it (COMPLETED, RUNNING, FAILED, TERMINATED, ...). */
  workflowStatus?: string;
  reason?: string;
  policyName?: string;
  startedAt?: string;
  closedAt?: string;
  /** While running: `applying`, or `waiting` behind another event of the policy, when the policy workflow says. */
  stage?: 'applying' | 'waiting' | 'delivering';
  /** While applying and an activity of the policy workflow is being retried: its attempt and last error. */
  retrying?: { activity: string; attempt: number; lastError?: string };
  summary?: string;
  result?: EventResult;
}

export async function eventStatus(client: Client, source: string, id: string): Promise<EventStatus> {
  const workflowId = eventWorkflowId(source, id);
  const handle = client.workflow.getHandle<typeof eventWorkflow>(workflowId);
  const base = { source, id, workflowId };
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      return {
        ...base,
        outcome: 'unknown',
        reason:
          "Temporal has no workflow for this event: never received, or older than the namespace's retention",
      };
    }
    throw error;
  }
  const known = {
    ...base,
    workflowStatus: description.status.name,
    policyName: description.typedSearchAttributes.get(POLICY_NAME),
    startedAt: description.startTime.toISOString(),
    ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}),
    summary: await description.staticSummary(),
  };
  if (description.status.name === 'RUNNING') {
    const account = description.typedSearchAttributes.get(ACCOUNT);
    return {
      ...known,
      outcome: 'running',
      ...(await runningStage(client, source, id, known.policyName, account)),
    };
  }
  try {
    const result = await handle.result();
    return {
      ...known,
      policyName: result.policyName,
      outcome: result.outcome,
      reason: result.reason,
      result,
    };
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    const cause = error.cause;
    const detail =
      cause instanceof ApplicationFailure ? (cause.details?.[0] as EventResult | undefined) : undefined;
    return {
      ...known,
      outcome: 'failed',
      reason: cause?.message ?? `the event workflow ended ${description.status.name.toLowerCase()}`,
      ...(detail ? { result: detail } : {}),
    };
  }
}

/** Where a running event is: being applied, waiting in its policy workflow, or not handed over yet. */
async function runningStage(
  client: Client,
  source: string,
  id: string,
  policyName: string | undefined,
  account: string | undefined,
): Promise<Pick<EventStatus, 'stage' | 'retrying'>> {
  if (!policyName) return {};
  try {
    // An event naming the default account is in the default account's workflow (src/domain/accounts.ts).
    const ask = async (workflowAccount?: string) => {
      const handle = client.workflow.getHandle(policyWorkflowId(policyName, workflowAccount));
      return { policy: handle, pending: await handle.query(pendingEventsQuery) };
    };
    const { policy, pending } = await (account === undefined ? ask() : ask(account).catch(() => ask()));
    const entry = pending.find((event) => event.source === source && event.id === id);
    if (entry?.state !== 'applying') return { stage: entry ? entry.state : 'delivering' };
    return { stage: 'applying', ...(await retryingActivity(policy)) };
  } catch {
    // The policy workflow is not there yet (or cannot answer): the event is still being handed over.
    return { stage: 'delivering' };
  }
}

/**
 * The policy workflow's activity past its first attempt, if any: an event stuck on IAM shows how often
 * it was tried and why it failed, not only `applying`. (Local activities do not show here; a local
 * activity that keeps failing is scheduled as a normal one.)
 */
async function retryingActivity(handle: {
  describe(): Promise<{ raw: { pendingActivities?: PendingActivity[] | null } }>;
}): Promise<Pick<EventStatus, 'retrying'>> {
  const { raw } = await handle.describe().catch(() => ({ raw: { pendingActivities: [] } }));
  const retried = (raw.pendingActivities ?? [])
    .filter((activity) => (activity.attempt ?? 0) > 1)
    .sort((a, b) => (b.attempt ?? 0) - (a.attempt ?? 0))[0];
  if (retried === undefined) return {};
  const lastError = retried.lastFailure?.message ?? undefined;
  return {
    retrying: {
      activity: retried.activityType?.name ?? 'unknown',
      attempt: retried.attempt ?? 0,
      ...(lastError ? { lastError } : {}),
    },
  };
}

interface PendingActivity {
  attempt?: number | null;
  activityType?: { name?: string | null } | null;
  lastFailure?: { message?: string | null } | null;
}
