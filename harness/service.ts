// Runs the real service worker (same wiring as src/worker.ts) against the test Temporal server and moto.
import { IAMClient } from '@aws-sdk/client-iam';
import { Client, Connection } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { DEFAULT_ASSUME_ROLE, DEFAULT_ROLE_SESSION_NAME, type AccountsConfig } from '../src/config/iam';
import type { DeploymentPromotion } from '../src/config/worker';
import { createAccountClients } from '../src/iam/account-clients';
import {
  DEFAULT_ACCOUNT_LABEL,
  instrumentIamClient,
  observeCapWait,
} from '../src/observability/iam-instrumentation';
import type { ServiceMetrics } from '../src/observability/service-metrics';
import type { SubmitOptions } from '../src/starter/submit';
import {
  createServiceWorkers,
  runServiceWorkers,
  type ServiceWorkerOptions,
} from '../src/temporal/service-worker';
import { polledTaskQueues } from '../src/domain/task-queues';
import { promoteVersion } from '../src/temporal/worker-deployment';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from './env';
import { serviceWorkflowBundle } from './workflow-bundle';

export const MANAGED_BY = { key: 'managed-by', value: 'iam-policy-events' };
export const ACCOUNT_ID = '123456789012';

export function testIamClient(endpoint = testIamEndpoint()): IAMClient {
  return new IAMClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

export interface RunningService {
  client: Client;
  iam: IAMClient;
  taskQueue: string;
  /** A versioned worker's build ID (its deployment version); undefined for an unversioned worker. */
  buildId?: string;
  /** The starter library's options for this service: wait for outcomes, the managed-by tag reserved. */
  submitOptions(): SubmitOptions;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

export interface StartServiceOptions {
  iamEndpoint?: string;
  policyHistoryLimit?: number;
  coalesce?: ServiceWorkerOptions['coalesce'];
  /** How deletes of a policy in use wait (DELETE_WAIT_*); the defaults when absent. */
  deleteWait?: ServiceWorkerOptions['deleteWait'];
  taskQueue?: string;
  /** Another Temporal server than global-setup's (host:port). */
  temporalAddress?: string;
  /** As TEMPORAL_SEARCH_ATTRIBUTES=off when false. */
  searchAttributes?: boolean;
  sinks?: ServiceWorkerOptions['sinks'];
  delivery?: ServiceWorkerOptions['delivery'];
  /** The worker's task slots and cache (WORKER_MAX_*); the SDK's defaults when absent. */
  tuning?: ServiceWorkerOptions['tuning'];
  /**
   * Run as a version of this Worker Deployment (its build ID derived from the bundle unless given),
   * made current as `promote` says (default if-none), before startService returns. Absent: an
   * unversioned worker, as tests that do not test versioning need (they would each need a deployment).
   */
  deployment?: { deploymentName: string; buildId?: string; promote?: DeploymentPromotion };
  /** Another workflow bundle than the service's (a test variant of the workflows). */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Guardrails, adoption and IAM waits, as IAM_* set them; the defaults when absent. */
  guards?: ServiceWorkerOptions['guards'];
  /**
   * Other accounts, as IAM_ACCOUNTS, IAM_ASSUME_ROLE, ... set them: reached by AssumeRole on the same
   * endpoint (moto gives a role's credentials its account). Absent: the default account only, uncapped.
   */
  accounts?: Partial<AccountsConfig> & { allowed: string[] };
  /** As TEMPORAL_ACCOUNT_TASK_QUEUES: accounts (of `accounts.allowed`) with a task queue of their own. */
  accountTaskQueues?: string[];
  /** As WORKER_ACCOUNTS: the queues this worker polls, by account (`default`: the base queue); all when absent. */
  workerAccounts?: string[];
  /** With `accounts`: the accounts' IAM calls counted, timed and their waits for the caps recorded here. */
  metrics?: ServiceMetrics;
}

/** The worker's account clients for `options.accounts`, on the test's IAM endpoint. */
function testAccountClients(
  iam: IAMClient,
  endpoint: string,
  accounts: StartServiceOptions['accounts'],
  metrics: ServiceMetrics | undefined,
) {
  if (!accounts) return undefined;
  const base = { endpoint, region: 'us-east-1' };
  return createAccountClients({
    defaultIam: iam,
    defaultAccountId: () => Promise.resolve(ACCOUNT_ID),
    config: {
      assumeRole: DEFAULT_ASSUME_ROLE,
      roleSessionName: DEFAULT_ROLE_SESSION_NAME,
      maxConcurrentCalls: 16,
      ...accounts,
    },
    sts: { ...base, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
    clientOptions: base,
    ...(metrics
      ? {
          onClient: (client: IAMClient, account: string | undefined) =>
            instrumentIamClient(client, metrics, account ?? DEFAULT_ACCOUNT_LABEL),
          onCapWait: observeCapWait(metrics),
        }
      : {}),
  });
}

export async function startService(options: StartServiceOptions = {}): Promise<RunningService> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const address = options.temporalAddress ?? testTemporalAddress();
  const taskQueue = options.taskQueue ?? `test-${uniqueSuffix()}`;
  const [nativeConnection, connection, workflowBundle] = await Promise.all([
    NativeConnection.connect({ address }),
    Connection.connect({ address }),
    options.workflowBundle ?? serviceWorkflowBundle(),
  ]);
  const client = new Client({ connection });
  const iam = testIamClient(options.iamEndpoint);
  const accounts = testAccountClients(
    iam,
    options.iamEndpoint ?? testIamEndpoint(),
    options.accounts,
    options.metrics,
  );
  const routing = { base: taskQueue, accounts: options.accountTaskQueues ?? [] };
  const workers: Worker[] = await createServiceWorkers(
    {
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      accountTaskQueues: routing.accounts,
      iam,
      accountId: () => Promise.resolve(ACCOUNT_ID),
      ...(accounts ? { accounts } : {}),
      managedByTag: MANAGED_BY,
      workflowBundle,
      policyHistoryLimit: options.policyHistoryLimit,
      coalesce: options.coalesce,
      deleteWait: options.deleteWait,
      searchAttributes: options.searchAttributes,
      sinks: options.sinks,
      delivery: options.delivery,
      ...(options.tuning ? { tuning: options.tuning } : {}),
      ...(options.guards ? { guards: options.guards } : {}),
      ...(options.deployment ? { deployment: options.deployment } : {}),
    },
    polledTaskQueues(routing, options.workerAccounts),
  );
  const worker = workers[0];
  const running = runServiceWorkers(workers);
  const version = worker.options.workerDeploymentOptions?.version;
  if (options.deployment && version) {
    // As src/worker.ts does, except that a failed promotion fails the test.
    try {
      await Promise.race([
        promoteVersion(nativeConnection.workflowService, {
          namespace: 'default',
          version,
          promote: options.deployment.promote ?? 'if-none',
        }),
        running,
      ]);
    } catch (error) {
      for (const each of workers) if (each.getState() === 'RUNNING') each.shutdown();
      await Promise.allSettled([running]);
      await Promise.allSettled([nativeConnection.close(), connection.close()]);
      throw error;
    }
  }
  return {
    client,
    iam,
    taskQueue,
    buildId: version?.buildId,
    submitOptions: () => ({
      client,
      taskQueue,
      accountTaskQueues: routing.accounts,
      wait: true,
      reservedTagKeys: [MANAGED_BY.key],
    }),
    async stop() {
      for (const each of workers) if (each.getState() === 'RUNNING') each.shutdown();
      await running;
      await Promise.allSettled([nativeConnection.close(), connection.close()]);
    },
  };
}
