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
import { cacheShare } from '../domain/task-queues';

export interface ServiceWorkerOptions {
  /** The worker's connection; the activities' client (events to policy workflows, results back) uses it too. */
  connection: NativeConnection;
  namespace: string;
  /** TEMPORAL_TASK_QUEUE: the base task queue (the worker polls it unless told which to poll). */
  taskQueue: string;
  /** TEMPORAL_ACCOUNT_TASK_QUEUES: accounts whose work runs on a task queue of its own (src/domain/task-queues.ts). */
  accountTaskQueues?: readonly string[];
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

/** A worker polling `pollTaskQueue`, one of the service's task queues (the base one by default). */
export async function createServiceWorker(
  options: ServiceWorkerOptions,
  pollTaskQueue: string = options.taskQueue,
): Promise<Worker> {
  const { connection, namespace, taskQueue, iam, accountId, managedByTag } = options;
  // One connection, in the SDK's native core: the activities' two calls per event cost less there than
  // through a second, JavaScript gRPC connection.
  const client = new Client({ connection, namespace });
  const { version, workflowBundle } = await deploymentVersion(options);
  return Worker.create({
    connection,
    namespace,
    taskQueue: pollTaskQueue,
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
      accountTaskQueues: options.accountTaskQueues,
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

/**
 * One worker for each task queue polled, in one process: each with its own slots and workflow thread, so
 * that one account's backlog waits for its own worker's slots. They share the connection, one bundle of
 * the workflows (one build ID) and the workflow cache, which is sized to the heap they share.
 */
export async function createServiceWorkers(
  options: ServiceWorkerOptions,
  pollTaskQueues: readonly string[],
): Promise<Worker[]> {
  if (pollTaskQueues.length === 1) return [await createServiceWorker(options, pollTaskQueues[0])];
  const code = await workflowCode(options.workflowBundle);
  const { version } = await deploymentVersion({ ...options, workflowBundle: { code } });
  const cache = options.tuning?.maxCachedWorkflows ?? defaultMaxCachedWorkflows(oldSpaceLimitMiB());
  const shared: ServiceWorkerOptions = {
    ...options,
    workflowBundle: { code },
    ...(version ? { deployment: { deploymentName: version.deploymentName, buildId: version.buildId } } : {}),
    tuning: { ...options.tuning, maxCachedWorkflows: cacheShare(cache, pollTaskQueues.length) },
  };
  const workers: Worker[] = [];
  try {
    for (const queue of pollTaskQueues) workers.push(await createServiceWorker(shared, queue));
  } catch (error) {
    // Those created hold native resources until they have run: run them and stop them at once.
    await runServiceWorkers(workers, () => stopRunning(workers)).catch(() => undefined);
    throw error;
  }
  return workers;
}

/**
 * Runs the workers until all have stopped (the runtime stops them on SIGINT and SIGTERM). When one stops
 * or fails, the others are shut down too: a process serving only some of its queues would look healthy.
 * Rejects with the first failure. `started` runs once they all run (tests shut them down from it).
 */
export async function runServiceWorkers(workers: readonly Worker[], started?: () => void): Promise<void> {
  const runs = workers.map((worker) => worker.run().finally(() => stopRunning(workers)));
  started?.();
  const results = await Promise.allSettled(runs);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

function stopRunning(workers: readonly Worker[]): void {
  for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
}
