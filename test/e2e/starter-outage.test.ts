// The starter CLI when Temporal goes away mid-stream: it retries with progress on stderr, then names
// the real cause (not the input); the lines already accepted stand; when Temporal is back in time the
// rest of the stream is accepted. Each test runs its own dev server, which it stops.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../harness/cli';
import { uniqueSuffix } from '../../harness/env';
import { upsertEvent } from '../../harness/events';
import { startTemporal, type RunningServer } from '../../harness/servers';

interface StreamingRun {
  write(line: unknown): void;
  end(): void;
  /** Resolves once stdout holds `count` lines. */
  lines(count: number): Promise<Record<string, unknown>[]>;
  /** Resolves once stderr matches `pattern`. */
  stderrMatches(pattern: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function startStarter(args: string[], env: Record<string, string>): StreamingRun {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'src/starter.ts', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const parsed = () =>
    stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    write: (line) => child.stdin.write(`${JSON.stringify(line)}\n`),
    end: () => child.stdin.end(),
    lines: async (count) => {
      const deadline = Date.now() + 60_000;
      while (parsed().length < count) {
        if (Date.now() > deadline) throw new Error(`no ${count} lines; stderr: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return parsed();
    },
    stderrMatches: async (pattern) => {
      const deadline = Date.now() + 90_000;
      while (!pattern.test(stderr)) {
        if (Date.now() > deadline) throw new Error(`stderr never matched ${String(pattern)}: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    exited: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
  };
}

let temporal: RunningServer | undefined;
afterEach(async () => {
  await temporal?.stop();
  temporal = undefined;
});

test('Temporal gone for longer than --retry-for: progress on stderr, the cause named (not the input), exit 2', async () => {
  temporal = await startTemporal();
  const run = startStarter(['submit', '-', '--retry-for', '6', '--concurrency', '1'], {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `outage-${uniqueSuffix()}`,
  });
  run.write(upsertEvent(`outage-a-${uniqueSuffix()}`, { sequence: 1 }));
  expect(await run.lines(1)).toEqual([expect.objectContaining({ outcome: 'accepted' })]);
  await temporal.stop();
  run.write(upsertEvent(`outage-b-${uniqueSuffix()}`, { sequence: 1 }));
  run.end();
  const { code, stdout, stderr } = await run.exited;
  expect(code).toBe(2);
  expect(stdout.trim().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/Temporal unavailable for \d+ s .*retrying for up to 6 s/);
  expect(stderr).toMatch(
    /starter: Temporal is unavailable.*1 event\(s\) were reported above.*Resubmitting the whole input is safe/s,
  );
  expect(stderr).not.toMatch(/cannot read/);
});

test('Temporal back within --retry-for: the rest of the stream is accepted, exit 0', async () => {
  temporal = await startTemporal();
  const { port } = temporal;
  const run = startStarter(['submit', '-', '--retry-for', '120', '--concurrency', '1'], {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `outage-${uniqueSuffix()}`,
  });
  run.write(upsertEvent(`outage-c-${uniqueSuffix()}`, { sequence: 1 }));
  await run.lines(1);
  await temporal.stop();
  run.write(upsertEvent(`outage-d-${uniqueSuffix()}`, { sequence: 1 }));
  run.end();
  // Past the client's own retries: the starter's retrying has begun.
  await run.stderrMatches(/Temporal unavailable for/);
  temporal = await startTemporal({ port });
  const { code, stdout } = await run.exited;
  expect(code).toBe(0);
  expect(
    stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { outcome: string }).outcome),
  ).toEqual(['accepted', 'accepted']);
});
