// The worker: runs the event and policy workflows and the IAM activities until SIGINT or SIGTERM,
// then finishes the tasks in hand and exits. With METRICS_PORT it serves Prometheus metrics; its logs
// are JSON lines on stdout (LOG_LEVEL, warn by default). It runs as a version of a Worker Deployment
// unless TEMPORAL_WORKER_VERSIONING=off (docs/deploying.md).
import './node-version'; // first: refuses a Node older than 24
import { Client } from '@temporalio/client';
import { Runtime, type NativeConnection, type RuntimeOptions, type Worker } from '@temporalio/worker';
import { exitOnArguments } from './config/cli-options';
import { ConfigError } from './config/environment';
import { loadConfig, workerSettings, type ServiceConfig } from './config/worker';
import { createAccountIdResolver } from './iam/account';
import { createAccountClients } from './iam/account-clients';
import { createIamClient, createStsClient, stsClientConfig, workerRetryOptions } from './iam/client';
import { createLogger, sdkLogger } from './observability/logging';
import { createDeletionSinks } from './observability/deletion-sinks';
import { createDriftSinks } from './observability/drift-sinks';
import { createEventSinks } from './observability/event-sinks';
import {
  DEFAULT_ACCOUNT_LABEL,
  instrumentIamClient,
  observeCapWait,
} from './observability/iam-instrumentation';
import { freeLoopbackPort, startMetricsServer, type MetricsServer } from './observability/metrics-server';
import { createServiceMetrics } from './observability/service-metrics';
import { checkSearchAttributes } from './temporal/search-attribute-check';
import { ConnectAborted, connectRetryLine, connectWorker, untilSignalled } from './temporal/connection';
import { driftScheduleId, ensureDriftSchedule } from './temporal/drift-schedule';
import { createServiceWorkers, runServiceWorkers } from './temporal/service-worker';
import { promoteVersion } from './temporal/worker-deployment';

/**
 * Makes the worker's version current as TEMPORAL_DEPLOYMENT_PROMOTE says, and says where it stands, for
 * the start line. Never throws: a worker whose version is not current still serves the workflows pinned
 * to its build, and the operator can promote it.
 */
async function takeUpDeployment(
  worker: Worker,
  connection: NativeConnection,
  config: ServiceConfig,
): Promise<string> {
  const version = worker.options.workerDeploymentOptions?.version;
  if (!config.deployment || !version) return 'unversioned';
  const { deploymentName, buildId } = version;
  const self = `deployment ${deploymentName}, build ${buildId}`;
  try {
    const { promoted, currentBuildId } = await promoteVersion(connection.workflowService, {
      namespace: config.temporal.namespace,
      version,
      promote: config.deployment.promote,
    });
    if (currentBuildId === buildId) return `${self}, current${promoted ? ' (made current now)' : ''}`;
    return (
      `${self}, not current (current: ${currentBuildId ?? 'none'}; new workflows start there until ` +
      `temporal worker deployment set-current-version --deployment-name ${deploymentName} --build-id ${buildId})`
    );
  } catch (error) {
    process.stderr.write(`worker: WARNING: ${error instanceof Error ? error.message : String(error)}\n`);
    return `${self}, not current`;
  }
}

/**
 * Creates, updates or removes the drift check's schedule as DRIFT_* say, and says so on stderr. Never
 * throws: the worker serves events without it (a namespace whose API key may not manage schedules).
 */
async function keepDriftSchedule(connection: NativeConnection, config: ServiceConfig): Promise<void> {
  const { drift, temporal } = config;
  const scheduleId = driftScheduleId(temporal.taskQueue);
  try {
    const change = await ensureDriftSchedule(new Client({ connection, namespace: temporal.namespace }), {
      taskQueue: temporal.taskQueue,
      searchAttributes: temporal.searchAttributes,
      ...drift,
    });
    process.stderr.write(
      drift.intervalMs > 0
        ? `worker: drift check every ${Math.round(drift.intervalMs / 60_000)} min of the policies under ` +
            `${drift.pathPrefix}, repair ${drift.repair ? 'on' : 'off'} (schedule ${scheduleId} ${change})\n`
        : `worker: no scheduled drift check (DRIFT_CHECK_INTERVAL_MS=0; schedule ${scheduleId} ${change})\n`,
    );
  } catch (error) {
    process.stderr.write(
      `worker: WARNING: could not keep the drift check's schedule ${scheduleId}: ` +
        `${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const metrics = config.metrics ? createServiceMetrics() : undefined;
  const sdkMetricsPort = config.metrics ? await freeLoopbackPort() : undefined;
  // Runtime.install must come before anything creates the runtime; it also installs the SIGINT/SIGTERM
  // handlers that make worker.run() shut down gracefully.
  const telemetryOptions: RuntimeOptions['telemetryOptions'] =
    sdkMetricsPort !== undefined
      ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}` } } }
      : undefined;
  Runtime.install({ logger: sdkLogger(logger, config.logLevel), telemetryOptions });

  // The runtime's signal handlers stop workers only: while no worker exists yet, a signal ends the trying.
  const connection = await untilSignalled((signal) =>
    connectWorker(config.temporal, {
      retryForMs: config.connectRetryMs,
      signal,
      onRetry: (info) =>
        process.stderr.write(
          connectRetryLine('worker', config.temporal.address, 'WORKER_CONNECT_RETRY_MS', info),
        ),
    }),
  );
  let metricsServer: MetricsServer | undefined;
  try {
    if (config.temporal.searchAttributes) {
      const check = await checkSearchAttributes(
        connection,
        config.temporal.namespace,
        config.accounts.allowed.length > 0,
      );
      if (!check.ok) logger.warn({ reason: check.unverified }, 'could not verify the search attributes');
    }
    const iam = createIamClient(workerRetryOptions());
    const sts = createStsClient();
    const accountId = createAccountIdResolver(sts, config.accountId);
    // One client per account, each with its own caps (calls in flight, calls a second); others through a role.
    const accounts = createAccountClients({
      defaultIam: iam,
      defaultAccountId: accountId,
      config: config.accounts,
      sts: stsClientConfig(workerRetryOptions()),
      clientOptions: workerRetryOptions(),
      ...(metrics
        ? {
            onClient: (client, account) =>
              instrumentIamClient(client, metrics, account ?? DEFAULT_ACCOUNT_LABEL),
            onCapWait: observeCapWait(metrics),
          }
        : {}),
    });
    const workers = await createServiceWorkers(
      {
        connection,
        ...workerSettings(config),
        iam,
        accountId,
        accounts,
        sinks: {
          ...createEventSinks(logger, metrics),
          ...createDriftSinks(logger, metrics),
          ...createDeletionSinks(logger, metrics),
        },
        // A prebuilt bundle of these workflows (the tests build one per run), else bundled at start.
        ...(process.env.WORKFLOW_BUNDLE_PATH
          ? { workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH } }
          : {}),
      },
      config.polledTaskQueues,
    );
    const worker = workers[0];
    if (config.metrics && metrics) {
      metricsServer = await startMetricsServer({
        ...config.metrics,
        registry: metrics.registry,
        sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
      });
      process.stderr.write(
        `worker: metrics on http://${config.metrics.host}:${metricsServer.port}/metrics\n`,
      );
    }
    const running = runServiceWorkers(workers);
    // The drift check runs on the base queue: a worker for some accounts only leaves its schedule alone.
    if (config.polledTaskQueues.includes(config.temporal.taskQueue))
      void keepDriftSchedule(connection, config);
    // The version can be made current only once the worker polls; a worker that stops first ends this.
    const deployment = await Promise.race([
      takeUpDeployment(worker, connection, config),
      running.then(() => 'stopped'),
    ]);
    process.stderr.write(
      `worker: polling task queue${workers.length > 1 ? 's' : ''} ${config.polledTaskQueues.join(', ')} on ` +
        `${config.temporal.address} (namespace ${config.temporal.namespace}, cache ` +
        `${workers.length > 1 ? `${workers.length} × ` : ''}${worker.options.maxCachedWorkflows} workflows; ${deployment})\n`,
    );
    await running;
  } finally {
    await Promise.allSettled([connection.close(), metricsServer?.close()]);
  }
  process.stderr.write('worker: stopped\n');
}

exitOnArguments(
  'worker',
  'Runs the event and policy workflows and the IAM activities until SIGINT or SIGTERM.',
  '\nConfiguration is the environment: TEMPORAL_*, IAM_*, AWS_*, WORKER_*, DRIFT_*, METRICS_PORT, LOG_LEVEL (docs/configuration.md).\n' +
    'Temporal unreachable at start: tried again with backoff for WORKER_CONNECT_RETRY_MS (5 minutes), then exit 2.',
);

main().catch((error: unknown) => {
  if (error instanceof ConnectAborted) {
    process.stderr.write('worker: stopped (Temporal was never reached)\n');
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`worker: ${error instanceof ConfigError ? '' : 'failed: '}${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
