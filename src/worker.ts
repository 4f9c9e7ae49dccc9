// The worker: runs the event and policy workflows and the IAM activities until SIGINT or SIGTERM,
// then finishes the tasks in hand and exits. With METRICS_PORT it serves Prometheus metrics; its logs
// are JSON lines on stdout (LOG_LEVEL, warn by default).
import './node-version'; // first: refuses a Node older than 24
import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import { ConfigError } from './config/environment';
import { loadConfig } from './config/worker';
import { createAccountIdResolver } from './iam/account';
import { createIamClient, createStsClient, workerRetryOptions } from './iam/client';
import { createLogger, sdkLogger } from './observability/logging';
import { createEventSinks } from './observability/event-sinks';
import { instrumentIamClient } from './observability/iam-instrumentation';
import { freeLoopbackPort, startMetricsServer, type MetricsServer } from './observability/metrics-server';
import { createServiceMetrics } from './observability/service-metrics';
import { checkSearchAttributes } from './temporal/search-attribute-check';
import { connectWorker } from './temporal/connection';
import { createServiceWorker } from './temporal/service-worker';

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

  const connection = await connectWorker(config.temporal);
  let metricsServer: MetricsServer | undefined;
  try {
    if (config.temporal.searchAttributes) {
      const check = await checkSearchAttributes(connection, config.temporal.namespace);
      if (!check.ok) logger.warn({ reason: check.unverified }, 'could not verify the search attributes');
    }
    const iam = createIamClient(workerRetryOptions());
    if (metrics) instrumentIamClient(iam, metrics);
    const worker = await createServiceWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      iam,
      accountId: createAccountIdResolver(createStsClient(), config.accountId),
      managedByTag: config.managedByTag,
      guards: config.guards,
      searchAttributes: config.temporal.searchAttributes,
      policyHistoryLimit: config.policyHistoryLimit,
      coalesce: config.coalesce,
      delivery: { resultWaitMs: config.resultWaitMs },
      ...(config.maxCachedWorkflows !== undefined
        ? { tuning: { maxCachedWorkflows: config.maxCachedWorkflows } }
        : {}),
      sinks: createEventSinks(logger, metrics),
    });
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
    process.stderr.write(
      `worker: polling task queue ${config.temporal.taskQueue} on ${config.temporal.address} (namespace ${config.temporal.namespace}, ` +
        `cache ${worker.options.maxCachedWorkflows} workflows)\n`,
    );
    await worker.run();
  } finally {
    await Promise.allSettled([connection.close(), metricsServer?.close()]);
  }
  process.stderr.write('worker: stopped\n');
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`worker: ${error instanceof ConfigError ? '' : 'failed: '}${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
