// The worker's workflow cache as `npm run worker` sizes it, read from the SDK's own metrics: under a heap
// limit it keeps more workflows than the SDK's default would (60 at --max-old-space-size=256), and
// WORKER_MAX_CACHED_WORKFLOWS overrides it. Each test runs a worker process of its own.
import { Client, Connection } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { defaultMaxCachedWorkflows } from '../../src/temporal/worker-cache';
import { submitEvent, type SubmitOptions } from '../../src/starter/submit';
import { motoEnvironment } from '../../harness/cli';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { upsertEvent } from '../../harness/events';
import { fetchText, metricValue, startProcess, type ServiceProcess } from '../../harness/processes';
import { freePort } from '../../harness/servers';
import { MANAGED_BY } from '../../harness/service';

let connection: Connection;

beforeAll(async () => {
  connection = await Connection.connect({ address: testTemporalAddress() });
});

afterAll(async () => {
  await connection?.close();
});

async function withWorker(
  env: Record<string, string>,
  body: (submit: SubmitOptions, metrics: () => Promise<string>, log: () => string) => Promise<void>,
): Promise<void> {
  const taskQueue = `cache-${uniqueSuffix()}`;
  const port = await freePort();
  const worker: ServiceProcess = startProcess('src/worker.ts', [], {
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    METRICS_PORT: String(port),
    METRICS_HOST: '127.0.0.1',
    ...motoEnvironment(testIamEndpoint()),
    ...env,
  });
  try {
    await worker.waitFor(/worker: polling task queue/, 90000);
    const submit = {
      client: new Client({ connection }),
      taskQueue,
      wait: true,
      reservedTagKeys: [MANAGED_BY.key],
    };
    await body(
      submit,
      async () => (await fetchText(`http://127.0.0.1:${port}/metrics`)).text,
      () => worker.stderr(),
    );
  } finally {
    await worker.stop();
  }
}

const FORCED_EVICTIONS = 'temporal_sticky_cache_total_forced_eviction';
const CACHED = 'temporal_sticky_cache_size';

test('under a 256 MiB heap limit, 70 policy workflows stay cached (the SDK default would keep 60)', async () => {
  await withWorker({ NODE_OPTIONS: '--max-old-space-size=256' }, async (submit, metrics, log) => {
    const names = Array.from({ length: 70 }, (_, i) => `cache-${i}-${uniqueSuffix()}`);
    for (let i = 0; i < names.length; i += 10) {
      const outcomes = await Promise.all(
        names.slice(i, i + 10).map(async (name) => (await submitEvent(upsertEvent(name), submit)).outcome),
      );
      expect(outcomes).toEqual(Array(outcomes.length).fill('created'));
    }
    const text = await metrics();
    // The heap limit that --max-old-space-size=256 gives on this Node (304 MiB on Node 20): 480 workflows there.
    const limitMiB =
      Number(
        execFileSync(process.execPath, [
          '--max-old-space-size=256',
          '-p',
          "require('v8').getHeapStatistics().heap_size_limit",
        ]).toString(),
      ) /
      2 ** 20;
    expect(log()).toMatch(new RegExp(`cache ${defaultMaxCachedWorkflows(limitMiB)} workflows`));
    expect(metricValue(text, CACHED)).toBeGreaterThanOrEqual(70);
    expect(metricValue(text, FORCED_EVICTIONS)).toBe(0);
  });
}, 180000);

test('WORKER_MAX_CACHED_WORKFLOWS=1: every event evicts another workflow, and each still gets its outcome', async () => {
  await withWorker({ WORKER_MAX_CACHED_WORKFLOWS: '1' }, async (submit, metrics) => {
    const names = [`cache-a-${uniqueSuffix()}`, `cache-b-${uniqueSuffix()}`];
    for (const name of names) {
      expect((await submitEvent(upsertEvent(name, { sequence: 1 }), submit)).outcome).toBe('created');
    }
    expect((await submitEvent(upsertEvent(names[0], { sequence: 2 }), submit)).outcome).toBe('unchanged');
    const text = await metrics();
    // Three event workflows and two policy workflows through one cache slot (with room for them: none).
    expect(metricValue(text, FORCED_EVICTIONS)).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, CACHED)).toBeLessThanOrEqual(1);
  });
}, 180000);
