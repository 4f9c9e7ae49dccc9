// Runs the real service worker (same wiring as src/worker.ts) against the test Temporal server and moto.
import { IAMClient } from '@aws-sdk/client-iam';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  type Worker,
} from '@temporalio/worker';
import type { SubmitOptions } from '../src/starter/submit';
import {
  createServiceWorker,
  workflowsPath,
  type ServiceWorkerOptions,
} from '../src/temporal/service-worker';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from './env';

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
  /** The starter library's options for this service: wait for outcomes, the managed-by tag reserved. */
  submitOptions(): SubmitOptions;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

export interface StartServiceOptions {
  iamEndpoint?: string;
  policyHistoryLimit?: number;
  coalesce?: ServiceWorkerOptions['coalesce'];
  taskQueue?: string;
  /** Another Temporal server than global-setup's (host:port). */
  temporalAddress?: string;
  /** As TEMPORAL_SEARCH_ATTRIBUTES=off when false. */
  searchAttributes?: boolean;
  sinks?: ServiceWorkerOptions['sinks'];
  delivery?: ServiceWorkerOptions['delivery'];
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
    bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') }),
  ]);
  const client = new Client({ connection });
  const iam = testIamClient(options.iamEndpoint);
  const worker: Worker = await createServiceWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    iam,
    accountId: () => Promise.resolve(ACCOUNT_ID),
    managedByTag: MANAGED_BY,
    workflowBundle,
    policyHistoryLimit: options.policyHistoryLimit,
    coalesce: options.coalesce,
    searchAttributes: options.searchAttributes,
    sinks: options.sinks,
    delivery: options.delivery,
  });
  const running = worker.run();
  return {
    client,
    iam,
    taskQueue,
    submitOptions: () => ({ client, taskQueue, wait: true, reservedTagKeys: [MANAGED_BY.key] }),
    async stop() {
      worker.shutdown();
      await running;
      await Promise.allSettled([nativeConnection.close(), connection.close()]);
    },
  };
}
