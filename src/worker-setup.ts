// Builds the service's Temporal worker from its dependencies; shared by src/worker.ts and the tests.
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';

export interface ServiceWorkerOptions {
  connection: NativeConnection;
  /** Used by activities to hand events to policy workflows. */
  client: Client;
  namespace: string;
  taskQueue: string;
  iam: IAMClient;
  accountId: () => Promise<string>;
  managedByTag: { key: string; value: string };
  /** A prebuilt bundle (tests bundle once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Policy workflows continue-as-new at this history length (tests set it low). */
  policyHistoryLimit?: number;
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxCachedWorkflows'>;
}

export function workflowsPath(): string {
  return require.resolve('./workflows');
}

export async function createServiceWorker(options: ServiceWorkerOptions): Promise<Worker> {
  const { connection, client, namespace, taskQueue, iam, accountId, managedByTag } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: workflowsPath() }),
    activities: createActivities({
      client,
      taskQueue,
      iam,
      accountId,
      managedByTag,
      policyHistoryLimit: options.policyHistoryLimit,
    }),
    ...options.tuning,
  });
}
