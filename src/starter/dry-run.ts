// `starter plan FILE`: what each event would do against IAM now, without writing anything and without
// starting any workflow, so no event ID is consumed. Each event is planned on its own, against IAM and
// the policy workflow as they are now (events earlier in the same input are not applied first): the
// worker's observation and decide(), after the checks the event and policy workflows make in Temporal.
// An event naming an account is planned in that account's policy workflow and IAM, as the worker routes it.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createPolicyActivities } from '../activities/policy-activities';
import {
  decide,
  decideWithoutObserving,
  observationInput,
  type Decision,
  type WritePlan,
} from '../domain/decide';
import { validateEvent } from '../sources/event-validation';
import { accountRejection } from '../domain/accounts';
import { policyWorkflowId } from '../domain/ids';
import { supersededByApplied } from '../domain/policy-queue';
import {
  UNSUCCESSFUL_OUTCOMES,
  type EventResult,
  type Outcome,
  type PolicyEntity,
  type PolicyEvent,
} from '../domain/types';
import { eventWorkflowId, payloadHash } from '../temporal/event-identity';
import { lastAppliedQuery } from '../messages/workflow-messages';
import type { InputItem } from '../sources/ndjson-input';
import type { AccountReads } from './account-reads';

export interface PlannedEvent {
  line: number;
  source?: string;
  id?: string;
  policyName?: string;
  /** The account the event names, when it names one. */
  account?: string;
  /** The outcome the event would get if submitted now; `unknown` when IAM could not be read. */
  wouldBe: Outcome | 'unknown';
  reason?: string;
  entities?: PolicyEntity[];
  /** The IAM writes it would make (kind and what changes); absent when it would write nothing. */
  plan?: PlanSummary;
}

export interface PlanSummary {
  kind: 'create' | 'update' | 'delete';
  policyArn?: string;
  documentChanged?: boolean;
  tagsToSet?: Record<string, string>;
  tagKeysToRemove?: string[];
  notes?: string[];
}

export interface DryRunDeps {
  client: Client;
  /** The allowed accounts, how the worker keys them, and read access to each. */
  accounts: Pick<AccountReads, 'allowed' | 'keyOf' | 'depsFor'>;
  reservedTagKeys?: string[];
}

/** An earlier delivery of the same (source, id): duplicate or conflict, unless it failed (then it runs again). */
async function repeatOf(client: Client, event: PolicyEvent): Promise<Partial<PlannedEvent> | undefined> {
  const handle = client.workflow.getHandle(eventWorkflowId(event.source, event.id));
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
  const status = description.status.name;
  if (status !== 'RUNNING' && status !== 'COMPLETED') return undefined; // a failed event may be resubmitted
  if (description.memo?.payloadHash !== payloadHash(event)) {
    return {
      wouldBe: 'conflict',
      reason: `this (source, id) was first received at ${description.startTime.toISOString()} with a different payload`,
    };
  }
  const first = status === 'COMPLETED' ? ((await handle.result()) as EventResult).outcome : 'still running';
  return { wouldBe: 'duplicate', reason: `already received (first delivery: ${first})` };
}

/** Superseded when the policy workflow already applied an event at the same or a newer position. */
async function supersededBy(
  client: Client,
  event: PolicyEvent,
  account: string | undefined,
): Promise<string | undefined> {
  let applied;
  try {
    applied = await client.workflow
      .getHandle(policyWorkflowId(event.policyName, account))
      .query(lastAppliedQuery);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
  return applied.position ? supersededByApplied(event, applied.position) : undefined;
}

function summarise(plan: WritePlan): PlanSummary {
  switch (plan.kind) {
    case 'create':
      return { kind: 'create', tagsToSet: plan.tags, documentChanged: true };
    case 'update':
      return {
        kind: 'update',
        policyArn: plan.policyArn,
        documentChanged: plan.document !== undefined,
        tagsToSet: plan.tagsToSet,
        tagKeysToRemove: plan.tagKeysToRemove,
        ...(plan.notes ? { notes: plan.notes } : {}),
      };
    case 'delete':
      return { kind: 'delete', policyArn: plan.policyArn };
  }
}

async function planOne(deps: DryRunDeps, event: PolicyEvent): Promise<Omit<PlannedEvent, 'line'>> {
  const identity = {
    source: event.source,
    id: event.id,
    policyName: event.policyName,
    ...(event.account !== undefined ? { account: event.account } : {}),
  };
  const early = decideWithoutObserving(event);
  if (early)
    return { ...identity, wouldBe: early.outcome, ...(early.reason ? { reason: early.reason } : {}) };
  const repeat = await repeatOf(deps.client, event);
  if (repeat) return { ...identity, wouldBe: 'unknown', ...repeat };
  // The worker's delivery: an account not allowed is rejected before any AWS call.
  const notAllowed = accountRejection(event.account, deps.accounts.allowed);
  if (notAllowed) return { ...identity, wouldBe: 'rejected', reason: notAllowed };

  const unknown = (error: unknown): Omit<PlannedEvent, 'line'> => ({
    ...identity,
    wouldBe: 'unknown',
    reason: error instanceof Error ? error.message : String(error),
  });
  let account: string | undefined;
  try {
    // Naming the default account is not naming another: STS says which that is, unless AWS_ACCOUNT_ID does.
    account = await deps.accounts.keyOf(event.account);
  } catch (error) {
    return unknown(error);
  }
  const superseded = await supersededBy(deps.client, event, account);
  if (superseded) return { ...identity, wouldBe: 'superseded', reason: superseded };

  let decision: Decision;
  try {
    // The account's own client reads it: the observation is made there as in the default account.
    const { account: _named, ...observe } = observationInput(event);
    const observation = await createPolicyActivities(deps.accounts.depsFor(account)).inspectPolicy(observe);
    // The worker's default (DELETE_WAIT_UNTIL_UNUSED) is not known here: only the event's own wish counts.
    decision = decide(event, observation, { waitUntilUnused: event.waitUntilUnused === true });
  } catch (error) {
    return unknown(error);
  }
  if (decision.kind === 'none') {
    const { outcome, reason, entities } = decision;
    return {
      ...identity,
      wouldBe: outcome,
      ...(reason ? { reason } : {}),
      ...(entities ? { entities } : {}),
    };
  }
  const outcome = { create: 'created', update: 'updated', delete: 'deleted' } as const;
  return { ...identity, wouldBe: outcome[decision.kind], plan: summarise(decision) };
}

/** Plans every item in input order, one at a time (a dry run is for reading, not for speed). */
export async function dryRun(
  items: AsyncIterable<InputItem>,
  deps: DryRunDeps,
  onPlanned: (planned: PlannedEvent) => void,
): Promise<{ anyUnsuccessful: boolean }> {
  let anyUnsuccessful = false;
  for await (const item of items) {
    let planned: PlannedEvent;
    if ('error' in item) {
      planned = { line: item.line, wouldBe: 'rejected', reason: `line ${item.line}: ${item.error}` };
    } else {
      const validation = validateEvent(item.value, { reservedTagKeys: deps.reservedTagKeys });
      if (!validation.ok) {
        const { source, id, policyName, reason } = validation;
        planned = {
          line: item.line,
          source,
          id,
          policyName,
          wouldBe: 'rejected',
          reason: `line ${item.line}: ${reason}`,
        };
      } else {
        planned = { line: item.line, ...(await planOne(deps, validation.event)) };
      }
    }
    if (
      planned.wouldBe === 'unknown' ||
      (UNSUCCESSFUL_OUTCOMES as readonly string[]).includes(planned.wouldBe)
    ) {
      anyUnsuccessful = true;
    }
    onPlanned(planned);
  }
  return { anyUnsuccessful };
}
