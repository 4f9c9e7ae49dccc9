// The bench's heap probe (bench/heap-probe.ts), in a process of its own: SIGUSR2 records every thread's
// heap after full collections, leaves the process running, and writes snapshots when asked.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHeapProbeLines, type HeapProbeLine } from '../../bench/heap-probe';

const MiB = 2 ** 20;
let child: ChildProcess;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heap-probe-'));
  child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '../fixtures/heap-probe-target.ts'), join(dir, 'probe.jsonl'), dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the target exited with ${code}`)));
  });
}, 60000);

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function probeLines(count: number): Promise<HeapProbeLine[]> {
  const file = join(dir, 'probe.jsonl');
  for (let waited = 0; waited < 30000; waited += 100) {
    const lines = readHeapProbeLines(file);
    if (lines.length >= count) return lines;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`fewer than ${count} probe lines within 30 s`);
}

test('SIGUSR2: each thread collected, its retained heap measured, a snapshot at the first probe', async () => {
  child.kill('SIGUSR2');
  const [first] = await probeLines(1);
  expect(first.probe).toBe(1);
  const main = first.threads.find((t) => t.thread === 'main');
  const workers = first.threads.filter((t) => t.thread !== 'main');
  expect(main).toBeDefined();
  // The fixture's thread (tsx may run a loader thread too): the one that keeps 24 MiB.
  const filled = workers.find((t) => t.after.usedSize > 24 * MiB);
  expect(filled).toBeDefined();
  expect(filled!.after.usedSize).toBeLessThan(40 * MiB);
  expect(filled!.after.usedSize).toBeLessThanOrEqual(filled!.before.usedSize);
  for (const thread of first.threads) {
    expect(thread.snapshot).toBeDefined();
    const snapshot = JSON.parse(readFileSync(thread.snapshot!, 'utf8')) as {
      snapshot: { node_count: number };
    };
    expect(snapshot.snapshot.node_count).toBeGreaterThan(0);
  }
}, 60000);

test('a second SIGUSR2 probes again, without snapshots, and the process keeps running', async () => {
  child.kill('SIGUSR2');
  const lines = await probeLines(2);
  expect(lines[1].probe).toBe(2);
  expect(lines[1].threads.every((t) => t.snapshot === undefined)).toBe(true);
  expect(child.exitCode).toBeNull();
  expect(child.signalCode).toBeNull();
});
