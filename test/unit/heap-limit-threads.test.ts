// The worker sizes its workflow cache from its own heap limit (src/worker-cache.ts), while the cached
// workflows live in the SDK's workflow thread, which the SDK starts without `resourceLimits`. That holds
// only if Node gives such a thread the same limit as `--max-old-space-size` gives the process, as the
// README says ("the limit applies to each thread"). Checked here on this Node.
import { spawnSync } from 'node:child_process';

const PROBE = `
const { Worker } = require('node:worker_threads');
const { getHeapStatistics } = require('node:v8');
const main = getHeapStatistics().heap_size_limit;
const thread = new Worker(
  "require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)",
  { eval: true },
);
thread.once('message', (limit) => {
  console.log(JSON.stringify({ main, thread: limit }));
  void thread.terminate();
});
`;

function limitsWith(flags: string[]): { main: number; thread: number } {
  // Without NODE_OPTIONS: a heap flag there would apply to every run.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const run = spawnSync(process.execPath, [...flags, '-e', PROBE], {
    encoding: 'utf8',
    timeout: 20_000,
    env,
  });
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout.trim()) as { main: number; thread: number };
}

const MiB = 2 ** 20;

test('--max-old-space-size limits a worker thread started without resourceLimits as it limits the main thread', () => {
  for (const size of [256, 384]) {
    const { main, thread } = limitsWith([`--max-old-space-size=${size}`]);
    expect(thread).toBe(main);
    // The limit follows the flag (V8 adds its young generation on top of the old space).
    expect(main / MiB).toBeGreaterThanOrEqual(size);
    expect(main / MiB).toBeLessThan(size * 1.5);
  }
});

test('without the flag the thread gets the default limit, far above a capped one', () => {
  const capped = limitsWith(['--max-old-space-size=256']);
  const { main, thread } = limitsWith([]);
  expect(thread).toBe(main);
  expect(main).toBeGreaterThan(capped.main);
});
