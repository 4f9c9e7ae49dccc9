// The reconcile workflow's activities: list the policy workflows (Temporal visibility) and the local
// policies (IAM, one ListPolicies page a call), judge each policy (its workflow's desired state by query,
// IAM by GetPolicy and GetPolicyVersion, src/domain/drift.ts), and submit repairs as ordinary events.
// IAM is only read here; every IAM call is counted (SDK retries included) for the report.
import { ListPoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import { heartbeat } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  compareDrift,
  repairEvent,
  wantsPolicy,
  type KnownDesired,
  type ObservedForDrift,
} from '../domain/drift';
import { accountKey } from '../domain/accounts';
import { parsePolicyKey, policyKey, policyWorkflowId } from '../domain/ids';
import type { AccountClients } from '../iam/account-clients';
import type { PolicyGuards } from '../domain/guardrails';
import { eventKey } from '../domain/policy-queue';
import type { PolicyDocument } from '../domain/types';
import { DEFAULT_CONSISTENCY_WAIT_MS } from '../domain/read-fence';
import { awsErrorCode, isNoSuchEntity, isTransientAwsError, toActivityFailure } from '../iam/errors';
import { isManagedByKey, userTags, type IamContext } from '../iam/observe';
import { getPolicy, getPolicyVersionDocument, policyArnFor } from '../iam/reads';
import type {
  CheckItem,
  DriftActivities,
  ListedPolicy,
  PolicyCheck,
  RepairResult,
} from '../messages/drift-contracts';
import { policyStateQuery, type PolicyStateView } from '../messages/workflow-messages';
import { submitEvent } from '../starter/submit';
import { eventWorkflowId } from '../temporal/event-identity';
import { allTaskQueues } from '../domain/task-queues';

export interface DriftDependencies extends IamContext {
  /** IAM_CONSISTENCY_WAIT_MS (in the guards): how long after its write a difference may still be IAM's lag. */
  guards?: Pick<PolicyGuards, 'consistencyWaitMs'>;
  client: Client;
  /**
   * The other accounts (IAM_ACCOUNTS) and their clients: their policies are listed and checked too.
   * Absent: the default account only.
   */
  accounts?: AccountClients;
  /** The policy workflows checked are those of this task queue and the accounts' own; repairs are submitted there. */
  taskQueue: string;
  /** TEMPORAL_ACCOUNT_TASK_QUEUES: the accounts with a task queue of their own. */
  accountTaskQueues?: readonly string[];
  searchAttributes?: boolean;
  /** Policies judged at once within one call (each is one query and up to two IAM reads). */
  concurrency?: number;
  /** How long a repair's outcome is awaited before it is reported `accepted` (still being applied). */
  repairWaitMs?: number;
}

const LIST_PAGE_SIZE = 1000;
const DEFAULT_CONCURRENCY = 8;
const DEFAULT_REPAIR_WAIT_MS = 60_000;

/** `iam` with every call's attempts added to `counter` (the SDK's retries of throttling included). */
function countingClient(iam: IAMClient, counter: { calls: number }): IAMClient {
  const attempts = (value: unknown): number =>
    (value as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1;
  return new Proxy(iam, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      return async (...args: Parameters<IAMClient['send']>) => {
        try {
          const output = await (target.send as (...a: unknown[]) => Promise<unknown>)(...args);
          counter.calls += attempts(output);
          return output;
        } catch (error) {
          counter.calls += attempts(error);
          throw error;
        }
      };
    },
  });
}

/** Runs `work` over `items`, at most `limit` at a time, keeping their order. */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  });
  await Promise.all(runners);
  return results;
}

/** A failure no retry can fix: an IAM or STS refusal, as toActivityFailure and the account clients throw it. */
function isRefusal(error: unknown): error is ApplicationFailure {
  return error instanceof ApplicationFailure && error.nonRetryable === true;
}

/** A visibility query string literal. */
function quoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const POLICY_ID_PREFIX = policyWorkflowId('');

/** Where listIamPolicies goes on: an account (undefined: the default one) and its ListPolicies marker. */
interface ListCursor {
  account?: string;
  marker?: string;
}

/** The marker given back: the default account's own marker as it is (as before accounts), else JSON. */
function encodeCursor(cursor: ListCursor): string | undefined {
  if (cursor.account === undefined) return cursor.marker;
  return JSON.stringify(cursor);
}

function decodeCursor(marker: string | undefined): ListCursor {
  if (marker === undefined) return {};
  // IAM's markers are opaque base64-like text, never JSON.
  return marker.startsWith('{') ? (JSON.parse(marker) as ListCursor) : { marker };
}

export function createDriftActivities(deps: DriftDependencies): DriftActivities {
  const { client, taskQueue, managedByTag } = deps;
  const accountTaskQueues = deps.accountTaskQueues ?? [];
  const onQueues = `TaskQueue IN (${allTaskQueues({ base: taskQueue, accounts: accountTaskQueues }).map(quoted).join(', ')})`;
  const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;

  /** The IAM client and account ID of `account` (undefined: the default account). */
  function iamIn(account: string | undefined): { iam: IAMClient; accountId: () => Promise<string> } {
    if (account === undefined) return { iam: deps.iam, accountId: deps.accountId };
    if (!deps.accounts) {
      throw new Error(
        `account ${account}: this worker reaches no account but its default one (IAM_ACCOUNTS)`,
      );
    }
    return deps.accounts.forAccount(account);
  }

  /** The accounts of IAM_ACCOUNTS other than the default one, in their order. */
  async function otherAccounts(): Promise<string[]> {
    if (!deps.accounts || deps.accounts.allowed.length === 0) return [];
    const defaultId = await deps.accounts.defaultAccountId();
    return deps.accounts.allowed.filter((account) => accountKey(account, defaultId) !== undefined);
  }

  /** The cursor of the first page of the account after `account` (undefined: the default one), if any. */
  async function nextAccountCursor(account: string | undefined): Promise<string | undefined> {
    const others = await otherAccounts();
    const following = account === undefined ? others[0] : others[others.indexOf(account) + 1];
    return following !== undefined ? encodeCursor({ account: following }) : undefined;
  }

  async function policyState(key: string): Promise<PolicyStateView | undefined> {
    try {
      return await client.workflow.getHandle(policyWorkflowId(key)).query(policyStateQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** The policy at `arn`; its default document only when wanted (an unwanted one is judged by its tag). */
  async function observe(iam: IAMClient, arn: string, readDocument: boolean): Promise<ObservedForDrift> {
    const policy = await getPolicy(iam, arn);
    if (!policy?.Arn || !policy.PolicyName || !policy.Path || !policy.DefaultVersionId)
      return { exists: false };
    const tags = Object.fromEntries((policy.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    const owned = Object.entries(tags).some(
      ([key, value]) => isManagedByKey(managedByTag, key) && value === managedByTag.value,
    );
    let document: PolicyDocument | undefined;
    if (readDocument && owned) {
      try {
        document = await getPolicyVersionDocument(iam, policy.Arn, policy.DefaultVersionId);
      } catch (error) {
        // Deleted (or its default version changed) between the two reads: as good as gone; the second
        // look reads it again.
        if (isNoSuchEntity(error)) return { exists: false };
        throw error;
      }
    }
    return {
      exists: true,
      name: policy.PolicyName,
      path: policy.Path,
      arn: policy.Arn,
      owned,
      // The audit record is the service's own, never drift.
      tags: userTags(managedByTag, tags),
      defaultVersionId: policy.DefaultVersionId,
      ...(document ? { document } : {}),
    };
  }

  /**
   * One policy's verdict. A policy workflow that does not answer its query, or IAM refusing to read one
   * policy (AccessDenied, ...), skips that policy with the reason instead of failing the whole check;
   * transient IAM errors are thrown, for the activity to be retried.
   */
  async function check(
    iamOf: (account: string | undefined) => { iam: IAMClient; accountId: () => Promise<string> },
    pathPrefix: string,
    item: CheckItem,
  ): Promise<PolicyCheck> {
    const { account } = parsePolicyKey(item.key);
    const verdict = await checkIn(iamOf, account, pathPrefix, item);
    return account !== undefined ? { ...verdict, account } : verdict;
  }

  async function checkIn(
    iamOf: (account: string | undefined) => { iam: IAMClient; accountId: () => Promise<string> },
    account: string | undefined,
    pathPrefix: string,
    item: CheckItem,
  ): Promise<PolicyCheck> {
    let context: { iam: IAMClient; accountId: () => Promise<string> };
    try {
      context = iamOf(account);
    } catch (error) {
      // A policy workflow of an account no longer in IAM_ACCOUNTS: reported, not read.
      const reason = `its account cannot be read: ${error instanceof Error ? error.message : String(error)}`;
      return { key: item.key, policyName: item.listed?.name ?? item.key, status: 'skipped', reason };
    }
    let state: PolicyStateView | undefined;
    try {
      state = item.hasWorkflow ? await policyState(item.key) : undefined;
    } catch (error) {
      const reason = `its policy workflow did not answer: ${error instanceof Error ? error.message : String(error)}`;
      return { key: item.key, policyName: item.listed?.name ?? item.key, status: 'skipped', reason };
    }
    try {
      return await judge(context, pathPrefix, item, state);
    } catch (error) {
      // Its account's role refused meanwhile (the non-retryable failure the account clients raise).
      const reason = isRefusal(error)
        ? error.message
        : isTransientAwsError(error) || awsErrorCode(error) === undefined
          ? undefined
          : `IAM refused to read it: ${awsErrorCode(error)}`;
      if (reason === undefined) throw error;
      return { key: item.key, policyName: item.listed?.name ?? item.key, status: 'skipped', reason };
    }
  }

  async function judge(
    { iam, accountId }: { iam: IAMClient; accountId: () => Promise<string> },
    pathPrefix: string,
    item: CheckItem,
    state: PolicyStateView | undefined,
  ): Promise<PolicyCheck> {
    const known: KnownDesired = !state
      ? { workflow: 'none' }
      : state.desired
        ? { workflow: 'recorded', desired: state.desired }
        : { workflow: 'not-recorded' };
    const desired = known.workflow === 'recorded' ? known.desired : undefined;
    const policyName = item.listed?.name ?? desired?.event.policyName ?? parsePolicyKey(item.key).name;
    if (state && (state.applying || state.pending.length > 0)) {
      return { key: item.key, policyName, status: 'skipped', reason: 'events are being applied to it' };
    }
    const wanted = desired !== undefined && wantsPolicy(desired);
    if (wanted && !desired.event.path.startsWith(pathPrefix)) {
      return { key: item.key, policyName, status: 'out-of-scope' };
    }
    // Nothing in IAM under the prefix and nothing wanted there: no call needed.
    if (!item.listed && !wanted) return { key: item.key, policyName, status: 'not-managed' };
    const arn =
      item.listed?.arn ??
      desired?.policyArn ??
      policyArnFor(await accountId(), desired!.event.path, desired!.event.policyName);
    const observed = await observe(iam, arn, wanted);
    const verdict = compareDrift(known, observed);
    if (verdict.kind !== 'drift') return { key: item.key, policyName, status: verdict.kind };
    // Shortly after the policy workflow's own write, a difference may still be IAM's lag, which its read
    // fence would wait out (and then fail the repair): repaired by a later check instead.
    const writtenAt = (state?.fence as { writtenAt?: number } | undefined)?.writtenAt;
    const settleMs = deps.guards?.consistencyWaitMs ?? DEFAULT_CONSISTENCY_WAIT_MS;
    const settling = verdict.repairable && writtenAt !== undefined && Date.now() - writtenAt < settleMs;
    if (settling) {
      verdict.repairable = false;
      verdict.details.push(
        `the service wrote the policy ${Math.round((Date.now() - writtenAt) / 1000)} s ago, within ` +
          `IAM_CONSISTENCY_WAIT_MS (${Math.round(settleMs / 1000)} s) in which a difference may be IAM's lag: ` +
          'not repaired by this check',
      );
    }
    const { source, id, sequence, time } = desired?.event ?? {};
    return {
      key: item.key,
      policyName: observed.exists ? observed.name : policyName,
      status: 'drift',
      kinds: verdict.kinds,
      details: verdict.details,
      repairable: verdict.repairable,
      ...(desired && source !== undefined && id !== undefined
        ? {
            appliedKey: eventKey(desired.event),
            lastApplied: {
              source,
              id,
              ...(sequence !== undefined ? { sequence } : {}),
              ...(time !== undefined ? { time } : {}),
            },
          }
        : {}),
    };
  }

  /** The repair's outcome once final, or `accepted` after `waitMs`. */
  async function repairOutcome(
    source: string,
    id: string,
    waitMs: number,
  ): Promise<Pick<RepairResult, 'outcome' | 'reason'>> {
    const handle = client.workflow.getHandle(eventWorkflowId(source, id));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
    try {
      const result = await Promise.race([
        handle.result() as Promise<{ outcome: string; reason?: string }>,
        late,
      ]);
      return result
        ? { outcome: result.outcome, ...(result.reason ? { reason: result.reason } : {}) }
        : { outcome: 'accepted', reason: 'still being applied when the reconciliation finished' };
    } catch (error) {
      return { outcome: 'failed', reason: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async listPolicyWorkflows({ pageToken }) {
      const page = await client.workflowService.listWorkflowExecutions({
        namespace: client.options.namespace,
        query: `WorkflowType = 'policyWorkflow' AND ExecutionStatus = 'Running' AND ${onQueues}`,
        pageSize: LIST_PAGE_SIZE,
        ...(pageToken ? { nextPageToken: Buffer.from(pageToken, 'base64') } : {}),
      });
      const keys = (page.executions ?? [])
        .map((execution) => execution.execution?.workflowId ?? '')
        .filter((workflowId) => workflowId.startsWith(POLICY_ID_PREFIX))
        // Of every account: a policy outside the default account has its account in its key.
        .map((workflowId) => workflowId.slice(POLICY_ID_PREFIX.length));
      const token = page.nextPageToken?.length
        ? Buffer.from(page.nextPageToken).toString('base64')
        : undefined;
      return { keys, ...(token ? { nextPageToken: token } : {}) };
    },

    async listIamPolicies({ pathPrefix, marker: given }) {
      const counter = { calls: 0 };
      const cursor = decodeCursor(given);
      const { account, marker } = cursor;
      const where = account !== undefined ? ` in account ${account}` : '';
      try {
        const iam = countingClient(iamIn(account).iam, counter);
        const page = await iam.send(
          new ListPoliciesCommand({
            Scope: 'Local',
            PathPrefix: pathPrefix,
            MaxItems: LIST_PAGE_SIZE,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        const policies: ListedPolicy[] = (page.Policies ?? [])
          .filter((policy) => policy.PolicyName && policy.Arn && policy.Path)
          .map((policy) => ({
            key: policyKey(policy.PolicyName!, account),
            ...(account !== undefined ? { account } : {}),
            name: policy.PolicyName!,
            path: policy.Path!,
            arn: policy.Arn!,
          }));
        // This account's next page, else the next account's first.
        const next =
          page.IsTruncated && page.Marker
            ? encodeCursor({ account, marker: page.Marker })
            : await nextAccountCursor(account);
        return { policies, ...(next ? { marker: next } : {}), iamCalls: counter.calls };
      } catch (error) {
        const failure = toActivityFailure(error, `listing the policies under ${pathPrefix}${where}`);
        // Another account refusing (its role cannot be assumed, ListPolicies denied) is skipped with the
        // reason, for the others to be checked; transient errors are retried, and the default account's
        // refusal fails the check (the worker's own permissions are wrong).
        if (account === undefined || !isRefusal(failure)) throw failure;
        const next = await nextAccountCursor(account);
        return {
          policies: [],
          ...(next ? { marker: next } : {}),
          iamCalls: counter.calls,
          skippedAccount: { account, reason: failure.message },
        };
      }
    },

    async checkPolicies({ pathPrefix, items }) {
      const counter = { calls: 0 };
      // Each account's client, counted; made once per call.
      const clients = new Map<string | undefined, { iam: IAMClient; accountId: () => Promise<string> }>();
      const iamOf = (account: string | undefined) => {
        let found = clients.get(account);
        if (!found) {
          const { iam, accountId } = iamIn(account);
          found = { iam: countingClient(iam, counter), accountId };
          clients.set(account, found);
        }
        return found;
      };
      try {
        const checks = await mapLimited(items, concurrency, (item) => check(iamOf, pathPrefix, item));
        return { checks, iamCalls: counter.calls };
      } catch (error) {
        throw toActivityFailure(error, 'reading policies for drift');
      }
    },

    async repairDrift({ runId, repairs }) {
      const beat = setInterval(() => heartbeat(), 10_000);
      try {
        return await mapLimited(repairs, concurrency, async ({ key, appliedKey }): Promise<RepairResult> => {
          const state = await policyState(key);
          if (!state?.desired || eventKey(state.desired.event) !== appliedKey) {
            return { key, outcome: 'skipped', reason: 'another event was applied since the check' };
          }
          const raw = repairEvent(state.desired, runId);
          const report = await submitEvent(raw, {
            client,
            taskQueue,
            accountTaskQueues,
            wait: false,
            reservedTagKeys: [managedByTag.key],
            searchAttributes: deps.searchAttributes,
          });
          const eventId = String(raw.id);
          if (report.outcome !== 'accepted' && report.outcome !== 'duplicate') {
            return {
              key,
              eventId,
              outcome: report.outcome,
              ...(report.reason ? { reason: report.reason } : {}),
            };
          }
          return {
            key,
            eventId,
            ...(await repairOutcome(
              String(raw.source),
              eventId,
              deps.repairWaitMs ?? DEFAULT_REPAIR_WAIT_MS,
            )),
          };
        });
      } finally {
        clearInterval(beat);
      }
    },
  };
}
