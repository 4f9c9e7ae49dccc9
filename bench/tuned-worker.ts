// A worker for profiling runs (`npm run bench -- --worker-entry bench/tuned-worker.ts --worker-env ...`):
// the service's worker (createServiceWorker, same activities and workflows) with settings read from
//   BENCH_MAX_CACHED_WORKFLOWS, BENCH_MAX_CONCURRENT_ACTIVITIES   Worker tuning (createServiceWorker's `tuning`)
//   BENCH_ACTIVITIES=remote             the workflows bundled so that their local activities run as ordinary
//                                       activity tasks (as before they ran locally first): the "before" of
//                                       docs/decisions/local-first-activities.md
//   BENCH_ACTIVITIES=local-write        the other way: the IAM write a local activity too, not recorded before
//                                       it is made (a what-if of docs/decisions/floor-ratio.md, never the service)
//   BENCH_SOURCE_MAP=off                the workflow bundle's source map emptied: the SDK maps the stack of
//                                       every promise workflow code creates through it
//   BENCH_MEMORY_LOG=FILE               every 5 s, one JSON line of process.memoryUsage() appended to FILE
//   BENCH_MAX_WAITING_DELIVERIES, BENCH_MAX_WAITING_PER_POLICY
//                                       deliveries that wait for their result by update (0: all by signal)
//   BENCH_HEAP_PROBE=FILE               on SIGUSR2, a full collection in every thread and their heaps appended
//                                       to FILE (bench/heap-probe.ts; the memory scenario's --heap-probe)
//   BENCH_HEAP_SNAPSHOT_DIR, BENCH_HEAP_SNAPSHOT_AT=1,10
//                                       heap snapshots of every thread at those probes
// Metrics endpoints and log sinks of src/worker.ts are left out; everything else is wired the same way.
import '../src/node-version'; // first: refuses a Node older than 24
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/worker';
import { createAccountIdResolver } from '../src/iam/account';
import { createIamClient, createStsClient } from '../src/iam/client';
import { connectWorker } from '../src/temporal/connection';
import { createServiceWorker } from '../src/temporal/service-worker';
import { bundleServiceWorkflows } from '../harness/workflow-bundle';
import { installHeapProbe } from './heap-probe';

const SHIMS: Record<string, string> = {
  remote: join(__dirname, '../harness/remote-activities-workflow.ts'),
  'local-write': join(__dirname, '../harness/local-write-workflow.ts'),
};

function optionalInteger(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be an integer ≥ 0`);
  return parsed;
}

/** The bundle with its inline source map's mappings emptied: stack traces keep bundle positions. */
function withoutMappings(code: string): string {
  const at = code.lastIndexOf('//# sourceMappingURL=data:');
  const base64At = code.indexOf('base64,', at);
  if (at < 0 || base64At < 0) throw new Error('the workflow bundle has no inline source map');
  const json = Buffer.from(code.slice(base64At + 'base64,'.length).trim(), 'base64').toString('utf8');
  const map = JSON.parse(json) as Record<string, unknown>;
  const empty = { ...map, mappings: '', sourcesContent: undefined };
  const encoded = Buffer.from(JSON.stringify(empty)).toString('base64');
  return `${code.slice(0, at)}//# sourceMappingURL=data:application/json;base64,${encoded}\n`;
}

async function bundle(activities: string | undefined, sourceMap: string | undefined) {
  if ((activities === undefined || activities === '') && sourceMap !== 'off') return undefined;
  const shim = activities ? SHIMS[activities] : undefined;
  if (activities && !shim) {
    throw new Error(`BENCH_ACTIVITIES must be one of ${Object.keys(SHIMS).join(', ')}`);
  }
  const built = await bundleServiceWorkflows(shim);
  return sourceMap === 'off' ? { code: withoutMappings(built.code) } : built;
}

/** Where the worker's memory goes over time (RSS against V8's heap and external memory). */
function logMemory(file: string | undefined): void {
  if (!file) return;
  const started = Date.now();
  setInterval(() => {
    const usage = process.memoryUsage();
    appendFileSync(
      file,
      `${JSON.stringify({ seconds: Math.round((Date.now() - started) / 1000), ...usage })}\n`,
    );
  }, 5000).unref();
}

async function main(): Promise<void> {
  const config = loadConfig();
  logMemory(process.env.BENCH_MEMORY_LOG);
  if (process.env.BENCH_HEAP_PROBE) {
    installHeapProbe({
      file: process.env.BENCH_HEAP_PROBE,
      snapshotDir: process.env.BENCH_HEAP_SNAPSHOT_DIR,
      snapshotAt: new Set((process.env.BENCH_HEAP_SNAPSHOT_AT ?? '').split(',').filter(Boolean).map(Number)),
    });
  }
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    // The SDK shuts the worker down on SIGUSR2 too by default; the heap probe takes that signal.
    ...(process.env.BENCH_HEAP_PROBE ? { shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'] } : {}),
  });
  const [connection, workflowBundle] = await Promise.all([
    connectWorker(config.temporal),
    bundle(process.env.BENCH_ACTIVITIES, process.env.BENCH_SOURCE_MAP),
  ]);
  const maxCachedWorkflows = optionalInteger('BENCH_MAX_CACHED_WORKFLOWS');
  const maxConcurrentActivityTaskExecutions = optionalInteger('BENCH_MAX_CONCURRENT_ACTIVITIES');
  const maxWaitingDeliveries = optionalInteger('BENCH_MAX_WAITING_DELIVERIES');
  const maxWaitingPerPolicy = optionalInteger('BENCH_MAX_WAITING_PER_POLICY');
  const worker = await createServiceWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    iam: createIamClient(),
    accountId: createAccountIdResolver(createStsClient(), config.accountId),
    managedByTag: config.managedByTag,
    searchAttributes: config.temporal.searchAttributes,
    policyHistoryLimit: config.policyHistoryLimit,
    ...(workflowBundle ? { workflowBundle } : {}),
    delivery: {
      ...(maxWaitingDeliveries !== undefined ? { maxWaitingDeliveries } : {}),
      ...(maxWaitingPerPolicy !== undefined ? { maxWaitingPerPolicy } : {}),
    },
    tuning: {
      ...(maxCachedWorkflows !== undefined ? { maxCachedWorkflows } : {}),
      ...(maxConcurrentActivityTaskExecutions !== undefined ? { maxConcurrentActivityTaskExecutions } : {}),
    },
  });
  process.stderr.write(
    `worker: polling task queue ${config.temporal.taskQueue} on ${config.temporal.address} (tuned: ` +
      `${JSON.stringify({ maxCachedWorkflows, maxConcurrentActivityTaskExecutions, maxWaitingDeliveries, maxWaitingPerPolicy, activities: process.env.BENCH_ACTIVITIES ?? 'local first', sourceMap: process.env.BENCH_SOURCE_MAP ?? 'on' })})\n`,
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`tuned-worker: failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
