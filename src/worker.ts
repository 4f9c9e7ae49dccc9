// The worker: runs the event and policy workflows and the IAM activities until SIGINT or SIGTERM,
// then finishes the tasks in hand and exits.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from './config';
import { createAccountIdResolver } from './iam/account';
import { createIamClient, createStsClient } from './iam/client';
import { connectClient, connectWorker } from './temporal-connection';
import { createServiceWorker } from './worker-setup';

const SDK_LOG_LEVELS = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  silent: 'ERROR',
} as const;

async function main(): Promise<void> {
  const config = loadConfig();
  // Runtime.install must come before anything creates the runtime; it also installs the SIGINT/SIGTERM
  // handlers that make worker.run() shut down gracefully.
  Runtime.install({ logger: new DefaultLogger(SDK_LOG_LEVELS[config.logLevel]) });

  const [connection, client] = await Promise.all([
    connectWorker(config.temporal),
    connectClient(config.temporal),
  ]);
  const iam = createIamClient();
  const worker = await createServiceWorker({
    connection,
    client,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    iam,
    accountId: createAccountIdResolver(createStsClient(), config.accountId),
    managedByTag: config.managedByTag,
  });
  process.stderr.write(
    `worker: polling task queue ${config.temporal.taskQueue} on ${config.temporal.address} (namespace ${config.temporal.namespace})\n`,
  );
  try {
    await worker.run();
  } finally {
    await Promise.allSettled([connection.close(), client.connection.close()]);
  }
  process.stderr.write('worker: stopped\n');
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`worker: ${error instanceof ConfigError ? '' : 'failed: '}${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
