// Builds the service's Temporal worker from its dependencies; shared by src/worker.ts and the tests.
import type { IAMClient } from '@aws-sdk/client-iam';
import { Client } from '@temporalio/client';
import {
  bundleWorkflowCode,
  Runtime,
  Worker,
  type InjectedSinks,
  type NativeConnection,
  type WorkerOptions,
} from '@temporalio/worker';
import { readFile } from 'node:fs/promises';
import { createActivities } from '../activities';
import type { DeliveryDependencies } from '../activities/delivery-activities';
import type { PolicyGuards } from '../domain/guardrails';
import type { AccountClients } from '../iam/account-clients';
import type { ServiceSinks } from '../messages/sinks';
import { defaultMaxCachedWorkflows, oldSpaceLimitMiB } from './worker-cache';
import { buildIdOf, type DeploymentVersion } from './worker-deployment';

export interface ServiceWorkerOptions {
  /** The worker's connection; the activities' client (events to policy workflows, results back) uses it too. */
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  iam: IAMClient;
  accountId: () => Promise<string>;
  /**
   * The accounts events may name and their clients (src/iam/account-clients.ts). Absent: events naming
   * an account are rejected, and the default account's calls are not capped.
   */
  accounts?: AccountClients;
  managedByTag: { key: string; value: string };
  /** A prebuilt bundle (tests bundle once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Policy workflows continue-as-new at this history length (tests set it low). */
  policyHistoryLimit?: number;
  /** How long policy workflows gather a burst (POLICY_COALESCE_*); their built-in default when absent. */
  coalesce?: DeliveryDependencies['coalesce'];
  /** How policy workflows let deletes of a policy in use wait (DELETE_WAIT_*); their default when absent. */
  deleteWait?: DeliveryDependencies['deleteWait'];
  /**
   * Worker tuning: the task slots (the SDK's defaults when absent) and the cache size, which defaults to
   * what fits this service's workflows in the heap limit.
   */
  tuning?: Pick<
    WorkerOptions,
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxConcurrentLocalActivityExecutions'
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxCachedWorkflows'
  >;
  /** How long and how many event deliveries wait for their result by update (tests set them). */
  delivery?: Pick<
    DeliveryDependencies,
    'resultWaitMs' | 'maxWaitingDeliveries' | 'maxWaitingPerPolicy' | 'maxWaitingPerAccount'
  >;
  /** Guardrails and adoption (IAM_GUARDRAILS_FILE, IAM_ADOPT_UNMANAGED); the default rules when absent. */
  guards?: PolicyGuards;
  /** Set the PolicyName search attribute on policy workflows (default true). */
  searchAttributes?: boolean;
  /**
   * Where event outcomes and drift checks go for metrics and logs (src/observability/event-sinks.ts,
   * drift-sinks.ts); each one absent is dropped.
   */
  sinks?: Partial<InjectedSinks<ServiceSinks>>;
  /**
   * Run as this version of a Worker Deployment (docs/deploying.md); without a build ID, buildIdOf the
   * workflow bundle. Absent: an unversioned worker. The worker does not make its version current:
   * promoteVersion (src/temporal/worker-deployment.ts) does, once it polls.
   */
  deployment?: { deploymentName: string; buildId?: string };
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

/** The bundle's code, bundled here when the worker would otherwise bundle it itself. */
async function workflowCode(bundle: ServiceWorkerOptions['workflowBundle']): Promise<string> {
  if (bundle === undefined) {
    const logger = Runtime.instance().logger;
    return (await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger })).code;
  }
  return 'code' in bundle ? bundle.code : readFile(bundle.codePath, 'utf8');
}

/** The version a versioned worker runs as: the build ID given, else the one of its workflow bundle. */
async function deploymentVersion(
  options: ServiceWorkerOptions,
): Promise<{ version?: DeploymentVersion; workflowBundle?: ServiceWorkerOptions['workflowBundle'] }> {
  const { deployment, workflowBundle } = options;
  if (!deployment) return { workflowBundle };
  if (deployment.buildId !== undefined) {
    return {
      version: { deploymentName: deployment.deploymentName, buildId: deployment.buildId },
      workflowBundle,
    };
  }
  // The worker would bundle the workflows anyway: bundled here, the same code gives the build ID too.
  const code = await workflowCode(workflowBundle);
  return {
    version: { deploymentName: deployment.deploymentName, buildId: buildIdOf(code) },
    workflowBundle: workflowBundle ?? { code },
  };
}

export async function createServiceWorker(options: ServiceWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, iam, accountId, managedByTag } = options;
  // One connection, in the SDK's native core: the activities' two calls per event cost less there than
  // through a second, JavaScript gRPC connection.
  const client = new Client({ connection, namespace });
  const { version, workflowBundle } = await deploymentVersion(options);
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: workflowsPath() }),
    // Each workflow type declares its versioning behaviour (versionedAs, src/workflows/versioning.ts),
    // except a run whose first task an unversioned worker completed: it moves with the current version,
    // as it would among unversioned workers.
    ...(version
      ? {
          workerDeploymentOptions: {
            version,
            useWorkerVersioning: true,
            defaultVersioningBehavior: 'AUTO_UPGRADE',
          },
        }
      : {}),
    activities: createActivities({
      client,
      taskQueue,
      iam,
      accountId,
      ...(options.accounts ? { accounts: options.accounts } : {}),
      managedByTag,
      policyHistoryLimit: options.policyHistoryLimit,
      coalesce: options.coalesce,
      deleteWait: options.deleteWait,
      searchAttributes: options.searchAttributes,
      guards: options.guards,
      ...options.delivery,
    }),
    sinks: {
      events: { finished: { fn: () => undefined } },
      drift: { checked: { fn: () => undefined } },
      deletions: { changed: { fn: () => undefined } },
      ...options.sinks,
    },
    ...options.tuning,
    // The workflow threads get the same old-space limit as this one (a V8 flag; the SDK sets no resourceLimits).
    maxCachedWorkflows: options.tuning?.maxCachedWorkflows ?? defaultMaxCachedWorkflows(oldSpaceLimitMiB()),
  });
}
