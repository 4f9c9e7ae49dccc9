// The worker's configuration: the Temporal and IAM blocks every process shares (src/config/temporal.ts,
// src/config/iam.ts), and what only the worker reads: the policy workflows' settings, metrics, the
// workflow cache, and its Worker Deployment. Checked once at start so a mistake names its variable.
import { z } from 'zod';
import { DEFAULT_COALESCE_WINDOW, type CoalesceWindow } from '../domain/coalescing';
import { DEFAULT_DELETE_WAIT, type DeleteWaitSettings } from '../domain/deferred-deletion';
import {
  booleanVariable,
  ConfigError,
  logLevelVariable,
  parseEnvironment,
  type LogLevel,
} from './environment';
import { loadDriftConfig, type DriftConfig } from './drift';
import { loadIamConfig, type IamConfig } from './iam';
import { loadTemporalConfig, type TemporalConfig } from './temporal';
import { cacheShare, polledAccountsProblem, polledTaskQueues } from '../domain/task-queues';

const workerSchema = z.object({
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * Policy workflows continue-as-new once their history has this many events. A worker's memory per
   * cached policy workflow grows with its history, and the server suggests continue-as-new only at
   * thousands of events: without this the worker's memory kept growing; at 100 it stayed within 20 % of
   * its size after 1,000 events, at 300 it did not (docs/decisions/policy-history-limit.md).
   */
  POLICY_HISTORY_LIMIT: z.coerce.number().int().min(100).max(50_000).default(100),
  /**
   * How long an event workflow waits for its result as the answer of the update that delivers it, before
   * it delivers by signal instead. 0: always by signal (a server without update-with-start). At most 8 s:
   * longer would make the event workflow's task heartbeat (it times out at 10 s).
   */
  EVENT_RESULT_WAIT_MS: z.coerce.number().int().min(0).max(8_000).default(5_000),
  /**
   * When two or more events for one policy wait, its workflow applies the newest once none has arrived
   * for this long (0: at once, no gathering), so a burst spread over time costs one write.
   */
  POLICY_COALESCE_QUIET_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(DEFAULT_COALESCE_WINDOW.quietMs),
  /** The longest a policy workflow gathers a burst, however events keep coming (0: no gathering). */
  POLICY_COALESCE_MAX_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_COALESCE_WINDOW.maxMs),
  /**
   * A delete of a policy in use that does not say (no data.waitUntilUnused) waits until the policy is
   * unused, instead of ending retained-in-use (src/domain/deferred-deletion.ts).
   */
  DELETE_WAIT_UNTIL_UNUSED: booleanVariable.default(DEFAULT_DELETE_WAIT.byDefault ? 'true' : 'false'),
  /** The longest a delete waits (and its wait when the event names none); 1 s to 365 days. */
  DELETE_WAIT_MAX_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(31_536_000_000)
    .default(DEFAULT_DELETE_WAIT.maxWaitMs),
  /** A waiting delete checks again this long after it found the policy in use, then at doubling intervals. */
  DELETE_WAIT_CHECK_FIRST_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(86_400_000)
    .default(DEFAULT_DELETE_WAIT.firstCheckMs),
  /** The longest interval between the checks of a waiting delete. */
  DELETE_WAIT_CHECK_MAX_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(86_400_000)
    .default(DEFAULT_DELETE_WAIT.maxCheckIntervalMs),
  /**
   * Workflows the worker keeps in its cache; by default what fits the heap limit (src/worker-cache.ts).
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /**
   * The worker's task slots (the SDK's defaults when unset: 40, 100, 100). Every account's events share
   * them: a flood in one account can fill them while its calls wait for that account's IAM caps.
   * Workflow tasks: at least 2 (the SDK's floor with a cache) and at most the cache size.
   */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).optional(),
  /** Local activities: the policy workflows' IAM reads, and deliveries waiting for a result (half of them). */
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(2).max(10_000).optional(),
  /** Ordinary activities: the policy workflows' IAM writes, reads retried after local attempts, drift checks. */
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).optional(),
  /**
   * How long the worker keeps trying to reach Temporal at start (0: one attempt), so that a worker
   * started before Temporal, or while it restarts, waits instead of exiting.
   */
  WORKER_CONNECT_RETRY_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  /**
   * The task queues this worker polls, by account: `default` for TEMPORAL_TASK_QUEUE (the default account
   * and every account without a queue of its own), account IDs (of IAM_ACCOUNTS) for their own queues.
   * Unset: all of the service's. Lets an account's work run on workers of its own, and a queue taken off
   * TEMPORAL_ACCOUNT_TASK_QUEUES be drained.
   */
  WORKER_ACCOUNTS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== ''),
    )
    .optional(),
  LOG_LEVEL: logLevelVariable,
  /** Run as a version of a Worker Deployment (docs/deploying.md); off: an unversioned worker. */
  TEMPORAL_WORKER_VERSIONING: z.enum(['on', 'off']).default('on'),
  /** The Worker Deployment; by default the task queue's name. Temporal joins name and build ID with '.'. */
  TEMPORAL_DEPLOYMENT_NAME: z
    .string()
    .min(1)
    .regex(/^[^.]+$/, "must not contain '.'")
    .optional(),
  /** This worker's version in it; by default the package version and a digest of the workflow bundle. */
  TEMPORAL_BUILD_ID: z.string().min(1).max(255).optional(),
  /** When the worker makes its version the deployment's current one (new workflows start on it). */
  TEMPORAL_DEPLOYMENT_PROMOTE: z.enum(['if-none', 'always', 'never']).default('if-none'),
});

export type DeploymentPromotion = z.infer<typeof workerSchema>['TEMPORAL_DEPLOYMENT_PROMOTE'];

/** The worker's Worker Deployment version and when it makes that version current. */
export interface WorkerDeploymentConfig {
  deploymentName: string;
  /** Absent: derived from the package version and the workflow bundle (src/temporal/worker-deployment.ts). */
  buildId?: string;
  /**
   * if-none: only when the deployment has no current version yet (a first deploy); always: at every
   * start; never: the operator promotes (`temporal worker deployment set-current-version`).
   */
  promote: DeploymentPromotion;
}

export interface ServiceConfig extends IamConfig {
  temporal: TemporalConfig;
  logLevel: LogLevel;
  /** Where the worker serves Prometheus metrics; absent: no metrics endpoint. */
  metrics?: { host: string; port: number };
  /** History length at which policy workflows continue-as-new (sent with every delivery, so running ones take it up). */
  policyHistoryLimit: number;
  /** EVENT_RESULT_WAIT_MS: how long a delivery waits for its result by update (0: by signal only). */
  resultWaitMs: number;
  /** POLICY_COALESCE_QUIET_MS and POLICY_COALESCE_MAX_MS: how policy workflows gather bursts. */
  coalesce: CoalesceWindow;
  /** DELETE_WAIT_*: how deletes of a policy in use wait until it is unused. */
  deleteWait: DeleteWaitSettings;
  /** WORKER_MAX_CACHED_WORKFLOWS; absent: sized from the heap limit (src/worker-cache.ts). */
  maxCachedWorkflows?: number;
  /** WORKER_MAX_CONCURRENT_*: the worker's task slots, by the SDK's names; each absent: the SDK's default. */
  slots: WorkerSlots;
  /** WORKER_CONNECT_RETRY_MS: how long to keep trying to reach Temporal at start (0: once). */
  connectRetryMs: number;
  /** The task queues this worker polls (WORKER_ACCOUNTS; all of the service's by default), the base one first if polled. */
  polledTaskQueues: string[];
  /** The Worker Deployment version the worker runs as; absent with TEMPORAL_WORKER_VERSIONING=off. */
  deployment?: WorkerDeploymentConfig;
  /** DRIFT_*: the drift check's schedule, which the worker keeps (src/temporal/drift-schedule.ts). */
  drift: DriftConfig;
}

/** Task slots of the worker, named as the SDK's WorkerOptions name them. */
export interface WorkerSlots {
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
}

/** The default deployment name: the task queue's, so that each task queue is its own deployment. */
export function defaultDeploymentName(taskQueue: string): string {
  return taskQueue.replaceAll('.', '-');
}

/** Reads and checks the worker's configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const temporal = loadTemporalConfig(env);
  const iam = loadIamConfig(env);
  const drift = loadDriftConfig(env);
  const e = parseEnvironment(workerSchema, env);
  const gathers = e.POLICY_COALESCE_QUIET_MS > 0 && e.POLICY_COALESCE_MAX_MS > 0;
  if (gathers && e.EVENT_RESULT_WAIT_MS > 0 && e.POLICY_COALESCE_MAX_MS >= e.EVENT_RESULT_WAIT_MS) {
    // The newest event of every gathered burst would outwait its sender and go again by signal.
    throw new ConfigError(
      `POLICY_COALESCE_MAX_MS (${e.POLICY_COALESCE_MAX_MS}) must be below EVENT_RESULT_WAIT_MS ` +
        `(${e.EVENT_RESULT_WAIT_MS}): an event waits for its result by update only that long`,
    );
  }
  if (e.DELETE_WAIT_CHECK_MAX_MS < e.DELETE_WAIT_CHECK_FIRST_MS) {
    throw new ConfigError(
      `DELETE_WAIT_CHECK_MAX_MS (${e.DELETE_WAIT_CHECK_MAX_MS}) must not be below DELETE_WAIT_CHECK_FIRST_MS ` +
        `(${e.DELETE_WAIT_CHECK_FIRST_MS}): the intervals between checks grow from the first to the maximum`,
    );
  }
  const routing = { base: temporal.taskQueue, accounts: temporal.accountTaskQueues };
  const withoutRole = routing.accounts.filter((account) => !iam.accounts.allowed.includes(account));
  if (withoutRole.length > 0) {
    // Nothing would be allowed to apply that account's events, yet its queue would be polled.
    throw new ConfigError(
      `TEMPORAL_ACCOUNT_TASK_QUEUES names ${withoutRole.join(', ')}, not in IAM_ACCOUNTS ` +
        `(${iam.accounts.allowed.join(', ') || 'empty'}): an account's own task queue is for an account the service may touch`,
    );
  }
  const polledProblem = e.WORKER_ACCOUNTS && polledAccountsProblem(e.WORKER_ACCOUNTS, iam.accounts.allowed);
  if (polledProblem) throw new ConfigError(`WORKER_ACCOUNTS ${polledProblem}`);
  const polled = polledTaskQueues(routing, e.WORKER_ACCOUNTS);
  const workflowTasks = e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS;
  const cachePerQueue =
    e.WORKER_MAX_CACHED_WORKFLOWS !== undefined
      ? cacheShare(e.WORKER_MAX_CACHED_WORKFLOWS, polled.length)
      : undefined;
  if (workflowTasks !== undefined && cachePerQueue !== undefined && workflowTasks > cachePerQueue) {
    // The SDK would quietly lower the slots to the cache size.
    throw new ConfigError(
      `WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (${workflowTasks}) must not be above WORKER_MAX_CACHED_WORKFLOWS ` +
        `(${e.WORKER_MAX_CACHED_WORKFLOWS}${polled.length > 1 ? `, ${cachePerQueue} for each of the ${polled.length} task queues polled` : ''}): ` +
        `a workflow task runs on a cached workflow`,
    );
  }
  if (e.TEMPORAL_WORKER_VERSIONING === 'off') {
    const contradicting = (['TEMPORAL_DEPLOYMENT_NAME', 'TEMPORAL_BUILD_ID'] as const).filter(
      (name) => e[name] !== undefined,
    );
    if (contradicting.length > 0) {
      throw new ConfigError(
        `TEMPORAL_WORKER_VERSIONING=off contradicts ${contradicting.join(' and ')}, which only a versioned worker uses`,
      );
    }
  }

  return {
    temporal,
    ...iam,
    logLevel: e.LOG_LEVEL,
    ...(e.METRICS_PORT !== undefined ? { metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT } } : {}),
    policyHistoryLimit: e.POLICY_HISTORY_LIMIT,
    resultWaitMs: e.EVENT_RESULT_WAIT_MS,
    coalesce: { quietMs: e.POLICY_COALESCE_QUIET_MS, maxMs: e.POLICY_COALESCE_MAX_MS },
    deleteWait: {
      byDefault: e.DELETE_WAIT_UNTIL_UNUSED,
      maxWaitMs: e.DELETE_WAIT_MAX_MS,
      firstCheckMs: e.DELETE_WAIT_CHECK_FIRST_MS,
      maxCheckIntervalMs: e.DELETE_WAIT_CHECK_MAX_MS,
    },
    ...(e.WORKER_MAX_CACHED_WORKFLOWS !== undefined
      ? { maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS }
      : {}),
    slots: {
      ...(workflowTasks !== undefined ? { maxConcurrentWorkflowTaskExecutions: workflowTasks } : {}),
      ...(e.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES !== undefined
        ? { maxConcurrentLocalActivityExecutions: e.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES }
        : {}),
      ...(e.WORKER_MAX_CONCURRENT_ACTIVITIES !== undefined
        ? { maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES }
        : {}),
    },
    connectRetryMs: e.WORKER_CONNECT_RETRY_MS,
    polledTaskQueues: polled,
    drift,
    ...(e.TEMPORAL_WORKER_VERSIONING === 'on'
      ? {
          deployment: {
            deploymentName: e.TEMPORAL_DEPLOYMENT_NAME ?? defaultDeploymentName(temporal.taskQueue),
            ...(e.TEMPORAL_BUILD_ID !== undefined ? { buildId: e.TEMPORAL_BUILD_ID } : {}),
            promote: e.TEMPORAL_DEPLOYMENT_PROMOTE,
          },
        }
      : {}),
  };
}

/** The SDK's task slots when none are set, and its workflow task polls: min(10, workflow task slots). */
export const SDK_DEFAULT_SLOTS = {
  workflowTasks: 40,
  localActivities: 100,
  maxWorkflowTaskPolls: 10,
} as const;

/**
 * What createServiceWorker takes from the configuration for its capacity: the task slots and workflow
 * cache, and the deliveries that may wait for a result. A waiting delivery is a local activity inside its
 * event workflow's task, so it holds a slot of each kind. The SDK's workflow task polls each hold a
 * workflow task slot too while they wait for a task: at most half of the slots the polls leave, and half
 * of the local slots, may be taken by waiting deliveries; the rest is for the policy workflows that
 * produce the results and for new events. (With deliveries holding every slot the polls do not take, the
 * worker would take no new task until one of them ended.) One place, so every worker built from the
 * configuration (src/worker.ts, the bench's floor worker) sizes itself the same way.
 */
export function workerCapacity(config: ServiceConfig) {
  const localSlots = config.slots.maxConcurrentLocalActivityExecutions ?? SDK_DEFAULT_SLOTS.localActivities;
  const workflowSlots = config.slots.maxConcurrentWorkflowTaskExecutions ?? SDK_DEFAULT_SLOTS.workflowTasks;
  const polls = Math.min(SDK_DEFAULT_SLOTS.maxWorkflowTaskPolls, workflowSlots);
  return {
    delivery: {
      resultWaitMs: config.resultWaitMs,
      maxWaitingDeliveries: Math.floor(Math.min(localSlots, workflowSlots - polls) / 2),
    },
    tuning: {
      ...config.slots,
      ...(config.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
    },
  };
}

/**
 * What every worker built from the configuration takes from it (src/worker.ts, the bench's floor worker):
 * its task queues, the service's tag and guards, the policy workflow settings, its capacity, its version.
 */
export function workerSettings(config: ServiceConfig) {
  return {
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    accountTaskQueues: config.temporal.accountTaskQueues,
    managedByTag: config.managedByTag,
    guards: config.guards,
    searchAttributes: config.temporal.searchAttributes,
    policyHistoryLimit: config.policyHistoryLimit,
    coalesce: config.coalesce,
    deleteWait: config.deleteWait,
    ...workerCapacity(config),
    ...(config.deployment ? { deployment: config.deployment } : {}),
  };
}
