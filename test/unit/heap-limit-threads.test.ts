// The worker sizes its workflow cache from the old-space limit set by --max-old-space-size
// (src/temporal/worker-cache.ts), while the cached workflows live in the SDK's workflow thread, which the
// SDK starts without `resourceLimits`. That holds only if such a thread can retain as much as the flag
// says and no more, as docs/operating.md says ("the limit applies to each thread"), however much larger V8's
// heap_size_limit is (it adds the young generation: 48 MiB on Node 20, 192 MiB on Node 24). Checked here
// on this Node: a thread retains objects until it runs out of memory.
import { spawnSync } from 'node:child_process';
import { oldSpaceLimitMiB } from '../../src/temporal/worker-cache';

const MiB = 2 ** 20;

const FILL = `
const { Worker } = require('node:worker_threads');
const { getHeapStatistics } = require('node:v8');
const thread = new Worker(\`
  const { parentPort } = require('node:worker_threads');
  const { getHeapStatistics } = require('node:v8');
  parentPort.postMessage({ limit: getHeapStatistics().heap_size_limit });
  const kept = [];
  for (;;) {
    kept.push(Array.from({ length: 16384 }, (_, i) => ({ i })));
    parentPort.postMessage({ used: getHeapStatistics().used_heap_size });
  }\`, { eval: true });
let threadLimit = 0, retained = 0;
thread.on('message', (m) => {
  if (m.limit) threadLimit = m.limit;
  else retained = Math.max(retained, m.used);
});
thread.on('error', (error) => {
  console.log(JSON.stringify({ code: error.code, retained, threadLimit, mainLimit: getHeapStatistics().heap_size_limit }));
});
`;

interface Fill {
  code: string;
  retained: number;
  threadLimit: number;
  mainLimit: number;
}

function fillThread(nodeOptions: string, args: string[]): Fill {
  const run = spawnSync(process.execPath, [...args, '-e', FILL], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
  });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout.trim()) as Fill;
}

test.each([
  ['NODE_OPTIONS', '--max-old-space-size=64', []],
  ['the command line', '', ['--max-old-space-size=96']],
])(
  '--max-old-space-size in %s bounds what a thread without resourceLimits retains, and the cache sizing reads it',
  (_where, nodeOptions: string, args: string[]) => {
    const oldSpace = oldSpaceLimitMiB(nodeOptions, args, Number.NaN);
    expect([64, 96]).toContain(oldSpace);
    const { code, retained, threadLimit, mainLimit } = fillThread(nodeOptions, args);
    expect(code).toBe('ERR_WORKER_OUT_OF_MEMORY');
    // Up to the old space, not up to V8's heap limit (the old space plus the young generation).
    expect(retained / MiB).toBeGreaterThan(oldSpace * 0.8);
    expect(retained / MiB).toBeLessThan(oldSpace + 16);
    expect(threadLimit).toBe(mainLimit);
    expect(mainLimit / MiB).toBeGreaterThanOrEqual(oldSpace);
  },
);

test('without the flag the thread gets the default limit, far above a capped one', () => {
  const probe = (args: string[]) =>
    spawnSync(
      process.execPath,
      [
        ...args,
        '-e',
        `const { Worker } = require('node:worker_threads');
         const main = require('node:v8').getHeapStatistics().heap_size_limit;
         new Worker("require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)", { eval: true })
           .once('message', function (thread) { console.log(JSON.stringify({ main, thread })); void this.terminate(); });`,
      ],
      { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_OPTIONS: '' } },
    );
  const parse = (run: ReturnType<typeof probe>) =>
    JSON.parse(run.stdout.trim()) as { main: number; thread: number };
  const capped = parse(probe(['--max-old-space-size=256']));
  const { main, thread } = parse(probe([]));
  expect(capped.thread).toBe(capped.main);
  expect(thread).toBe(main);
  expect(main).toBeGreaterThan(capped.main);
});
