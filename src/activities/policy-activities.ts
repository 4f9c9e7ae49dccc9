// The policy workflow's two activities, as wiring: observe a policy (src/iam/observe.ts) and carry out
// a write decide() chose (src/iam/writes.ts). IAM's refusals become the non-retryable failures of
// src/messages/activity-failures.ts; transient errors are thrown as they are, for Temporal to retry.
import { Context } from '@temporalio/activity';
import { DEFAULT_POLICY_GUARDS, type PolicyGuards } from '../domain/guardrails';
import { observationRecord } from '../domain/observation-record';
import type { PolicyActivities } from '../messages/activity-contracts';
import { toActivityFailure } from '../iam/errors';
import { CallWouldWaitError, withoutWaiting } from '../iam/calls-must-not-wait';
import type { AccountClients } from '../iam/account-clients';
import { accountBusyFailure, nonRetryableFailure } from '../messages/activity-failures';
import { observePolicy, type IamContext } from '../iam/observe';
import { createPolicy, deletePolicy, updatePolicy } from '../iam/writes';
import { eventAuditValue } from '../temporal/event-identity';

export interface PolicyActivityDeps extends IamContext {
  /** Guardrails and adoption (IAM_GUARDRAILS_FILE, IAM_ADOPT_UNMANAGED); the default rules when absent. */
  guards?: PolicyGuards;
  /**
   * The clients of the accounts events may name (src/iam/account-clients.ts). Absent: only the default
   * account (`iam`, `accountId`), and a write or read in another account fails with the reason.
   */
  accounts?: AccountClients;
}

/** Where an observation or write in `account` (undefined: the default account) is made. */
function contextIn(deps: PolicyActivityDeps, account: string | undefined): IamContext {
  if (account === undefined)
    return { iam: deps.iam, accountId: deps.accountId, managedByTag: deps.managedByTag };
  if (!deps.accounts) {
    throw nonRetryableFailure(
      'requestRejected',
      `account ${account}: this worker reaches no account but its default one (IAM_ACCOUNTS is not set)`,
    );
  }
  const { iam, accountId } = deps.accounts.forAccount(account);
  return { iam, accountId, managedByTag: deps.managedByTag };
}

/** The running activity's context; undefined outside an activity (tests calling the functions directly). */
function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * A local attempt's IAM calls do not wait for their account's caps: one that would fails the attempt at
 * once with accountBusyFailure, and the workflow reads as an ordinary activity, which waits in an
 * activity slot. A local attempt waiting would hold its workflow task, and with it a workflow task slot
 * every account's events need: a flood in one account would take them all.
 */
async function withoutWaitingWhenLocal<T>(account: string | undefined, work: () => Promise<T>): Promise<T> {
  // Only a local attempt (inside its workflow's task).
  if (!currentActivity()?.info.isLocal) return work();
  try {
    return await withoutWaiting(work);
  } catch (error) {
    if (error instanceof CallWouldWaitError) throw accountBusyFailure(account);
    throw error;
  }
}

/** Runs `work`, turning IAM's refusals into non-retryable failures and leaving transient errors to retry. */
async function withIamFailures<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toActivityFailure(error, operation);
  }
}

export type { PolicyActivities };

/** Whether an earlier attempt of this activity ran (and may have written); false outside an activity. */
function isRetry(): boolean {
  return (currentActivity()?.info.attempt ?? 1) > 1;
}

/**
 * Runs `work` while heartbeating, so that the server notices a worker lost in the middle of a write
 * within the write's heartbeat timeout rather than its start-to-close timeout. Outside an activity
 * (tests calling the functions directly) it only runs `work`.
 */
async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = currentActivity();
  if (!context) return work();
  // Not at once: a heartbeat that reaches the server is a billed Action on Temporal Cloud, and nearly
  // every write ends within seconds. The first at 4 s keeps the 10 s heartbeat timeout well met, and the
  // SDK sends at most one per 80 % of the timeout after it.
  const beat = setInterval(() => context.heartbeat(), 4000);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

export function createPolicyActivities(deps: PolicyActivityDeps): PolicyActivities {
  const guards = deps.guards ?? DEFAULT_POLICY_GUARDS;
  return {
    inspectPolicy: (input) =>
      withoutWaitingWhenLocal(input.account, () =>
        withIamFailures(`reading policy ${input.policyName}`, async () => {
          const observation = await observePolicy(contextIn(deps, input.account), input, guards);
          // The policy workflow records it: the verdicts, not the guardrails and the document.
          return input.compareWith ? observationRecord(observation, input.compareWith.document) : observation;
        }),
      ),
    applyPlan: (plan, madeBy) => {
      // The audit record (src/domain/audit-tags.ts); a write scheduled by an older build names no event.
      const auditValue = madeBy ? eventAuditValue(madeBy.source, madeBy.id) : undefined;
      return whileHeartbeating(() => {
        const context = contextIn(deps, plan.account);
        switch (plan.kind) {
          case 'create':
            return withIamFailures(`creating policy ${plan.policyName}`, () =>
              createPolicy(context, plan, auditValue),
            );
          case 'update':
            return withIamFailures(`updating policy ${plan.policyArn}`, () =>
              updatePolicy(context, plan, isRetry(), guards.versionSwitchWaitMs ?? 0, auditValue),
            );
          case 'delete':
            return withIamFailures(`deleting policy ${plan.policyArn}`, () =>
              deletePolicy(context.iam, plan),
            );
        }
      });
    },
  };
}
