// `starter policy NAME`: the policy workflow's state next to the policy as IAM has it. IAM is only read
// (the same inspect the worker's activity does, plus versions and attachments).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createPolicyActivities, type PolicyActivityDeps } from '../activities/policy-activities';
import { policyWorkflowId } from '../domain/ids';
import type { PolicyEntity } from '../domain/types';
import type { ObservedPolicy } from '../domain/decide';
import { listPolicyEntities, listPolicyVersions, type PolicyVersionSummary } from '../iam/reads';
import { lastAppliedQuery, pendingEventsQuery, policyStateQuery } from '../messages/workflow-messages';
import { deferredDeletionView, type DeferredDeletionView } from './deferred-deletion-view';

export type IamReadDeps = Pick<PolicyActivityDeps, 'iam' | 'accountId' | 'managedByTag' | 'guards'>;

export interface PolicyReport {
  policyName: string;
  /** The account asked about, when not the default one. */
  account?: string;
  workflow:
    | { workflowId: string; found: false }
    | {
        workflowId: string;
        found: true;
        status: string;
        pending: Awaited<ReturnType<typeof queryPending>>;
        lastApplied: Awaited<ReturnType<typeof queryLastApplied>>;
        /** The most recent results, newest first. */
        recent: { source: string; id: string; outcome: string; reason?: string }[];
        /** A delete waiting until the policy is unused, or how the last one ended. */
        deferredDeletion?: DeferredDeletionView;
      };
  iam:
    | { exists: false }
    | ({ exists: true; versions: PolicyVersionSummary[]; attachments: PolicyEntity[] } & ObservedPolicy)
    | { error: string };
}

const RECENT_SHOWN = 10;

function queryPending(client: Client, workflowId: string) {
  return client.workflow.getHandle(workflowId).query(pendingEventsQuery);
}

function queryLastApplied(client: Client, workflowId: string) {
  return client.workflow.getHandle(workflowId).query(lastAppliedQuery);
}

async function workflowPart(
  client: Client,
  policyName: string,
  account: string | undefined,
): Promise<PolicyReport['workflow']> {
  const workflowId = policyWorkflowId(policyName, account);
  const handle = client.workflow.getHandle(workflowId);
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') {
      return {
        workflowId,
        found: true,
        status: description.status.name,
        pending: [],
        lastApplied: {},
        recent: [],
      };
    }
    const [pending, lastApplied, state] = await Promise.all([
      queryPending(client, workflowId),
      queryLastApplied(client, workflowId),
      handle.query(policyStateQuery),
    ]);
    const recent = state.recent
      .slice(-RECENT_SHOWN)
      .reverse()
      .map(({ result }) => ({
        source: result.source,
        id: result.id,
        outcome: result.outcome,
        ...(result.reason ? { reason: result.reason } : {}),
      }));
    const deferred = state.deferredDeletion
      ? { deferredDeletion: deferredDeletionView(state.deferredDeletion) }
      : {};
    return {
      workflowId,
      found: true,
      status: description.status.name,
      pending,
      lastApplied,
      recent,
      ...deferred,
    };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { workflowId, found: false };
    throw error;
  }
}

async function iamPart(deps: IamReadDeps, policyName: string, path: string): Promise<PolicyReport['iam']> {
  try {
    const activities = createPolicyActivities(deps);
    const observation = await activities.inspectPolicy({
      policyName,
      path,
      readDocument: true,
      // Listed below for any policy (the observation lists them only for one the service may delete).
      listEntities: false,
    });
    if (!observation.exists) return { exists: false };
    const { policy } = observation;
    const [versions, attachments] = await Promise.all([
      listPolicyVersions(deps.iam, policy.arn),
      listPolicyEntities(deps.iam, policy.arn),
    ]);
    return { exists: true, ...policy, versions, attachments };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * `deps` read the policy's account; `account` is its key (src/domain/accounts.ts accountKey), undefined
 * for the default account, and names the policy workflow.
 */
export async function policyReport(
  client: Client,
  deps: IamReadDeps,
  policyName: string,
  path = '/',
  account?: string,
): Promise<PolicyReport> {
  const [workflow, iam] = await Promise.all([
    workflowPart(client, policyName, account),
    iamPart(deps, policyName, path),
  ]);
  return { policyName, ...(account !== undefined ? { account } : {}), workflow, iam };
}
