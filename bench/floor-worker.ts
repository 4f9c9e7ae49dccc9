// The floor's worker (`--scenarios floor-ratio`; bench/floor/): the service's worker as src/worker.ts
// builds it (createServiceWorker with the same configuration: activities, sinks, workflow cache, Worker
// Deployment version made current the same way), running bench/floor/workflows.ts instead of the
// service's workflows. Started as a process of its own, like the service's worker, on its own task queue.
// Left out, as in bench/tuned-worker.ts: metrics endpoint, log sinks, the drift check's schedule.
import '../src/node-version'; // first: refuses a Node older than 24
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig, workerSettings } from '../src/config/worker';
import { createAccountIdResolver } from '../src/iam/account';
import { createIamClient, createStsClient, workerRetryOptions } from '../src/iam/client';
import { connectWorker } from '../src/temporal/connection';
import { createServiceWorker } from '../src/temporal/service-worker';
import { promoteVersion } from '../src/temporal/worker-deployment';
import {
  bundleFloorWorkflows,
  FLOOR_WORKFLOWS_PATH,
  SHAPED_FLOOR_WORKFLOWS_PATH,
  WRITES_FLOOR_WORKFLOWS_PATH,
} from './floor/bundle';

/**
 * FLOOR_SHAPE=activities: the floor with the service's observation and write steps (no IAM in them);
 * writes: with the write's step only.
 */
function floorWorkflowsPath(): string {
  const shape = process.env.FLOOR_SHAPE ?? 'plain';
  if (shape === 'plain') return FLOOR_WORKFLOWS_PATH;
  if (shape === 'activities') return SHAPED_FLOOR_WORKFLOWS_PATH;
  if (shape === 'writes') return WRITES_FLOOR_WORKFLOWS_PATH;
  throw new Error(`FLOOR_SHAPE must be plain, activities or writes, not ${shape}`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const [connection, workflowBundle] = await Promise.all([
    connectWorker(config.temporal),
    bundleFloorWorkflows(floorWorkflowsPath()),
  ]);
  const worker = await createServiceWorker({
    connection,
    ...workerSettings(config),
    // Never called by the floor's workflows; the service's worker has them, so this one has them too.
    iam: createIamClient(workerRetryOptions()),
    accountId: createAccountIdResolver(createStsClient(), config.accountId),
    workflowBundle,
  });
  const running = worker.run();
  const version = worker.options.workerDeploymentOptions?.version;
  if (config.deployment && version) {
    // As src/worker.ts: new workflows start on the deployment's current version, once it polls.
    await promoteVersion(connection.workflowService, {
      namespace: config.temporal.namespace,
      version,
      promote: config.deployment.promote,
    });
  }
  process.stderr.write(
    `worker: polling task queue ${config.temporal.taskQueue} on ${config.temporal.address} ` +
      `(floor workflows, ${process.env.FLOOR_SHAPE ?? 'plain'}; cache ${worker.options.maxCachedWorkflows} workflows)\n`,
  );
  try {
    await running;
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`floor-worker: failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
