// The starter CLI when Temporal goes away mid-stream: it retries with progress on stderr, then names
// the real cause (not the input); the lines already accepted stand; when Temporal is back in time the
// rest of the stream is accepted. Each test runs its own dev server, which it stops.
import { uniqueSuffix } from '../../harness/env';
import { upsertEvent } from '../../harness/events';
import { freePort, startTemporal, type RunningServer } from '../../harness/servers';
import { startStreamingStarter } from '../../harness/sources';

let temporal: RunningServer | undefined;
afterEach(async () => {
  await temporal?.stop();
  temporal = undefined;
});

test('Temporal gone for longer than --retry-for: progress on stderr, the cause named (not the input), exit 2', async () => {
  temporal = await startTemporal();
  const run = startStreamingStarter(
    ['submit', '-', '--retry-for', '6', '--request-timeout', '3', '--concurrency', '1'],
    {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: `outage-${uniqueSuffix()}`,
    },
  );
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
  const run = startStreamingStarter(
    ['submit', '-', '--retry-for', '120', '--request-timeout', '3', '--concurrency', '1'],
    {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: `outage-${uniqueSuffix()}`,
    },
  );
  run.write(upsertEvent(`outage-c-${uniqueSuffix()}`, { sequence: 1 }));
  await run.lines(1);
  await temporal.stop();
  run.write(upsertEvent(`outage-d-${uniqueSuffix()}`, { sequence: 1 }));
  run.end();
  // Past the first attempt's deadline: the starter's retrying has begun.
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

test('Temporal not up yet when the starter starts: it keeps trying within --retry-for, then submits, exit 0', async () => {
  const port = await freePort();
  const run = startStreamingStarter(['submit', '-', '--retry-for', '120', '--concurrency', '1'], {
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_TASK_QUEUE: `outage-${uniqueSuffix()}`,
  });
  run.write(upsertEvent(`outage-g-${uniqueSuffix()}`, { sequence: 1 }));
  run.end();
  // The first attempt has failed and the starter says it is waiting, not that the input is wrong.
  await run.stderrMatches(
    new RegExp(
      `cannot reach Temporal at 127\\.0\\.0\\.1:${port} \\(.*\\); trying again in \\d+ s \\(for up to 120 s: --retry-for\\)`,
    ),
  );
  temporal = await startTemporal({ port });
  const { code, stdout } = await run.exited;
  expect(code).toBe(0);
  expect((JSON.parse(stdout.trim()) as { outcome: string }).outcome).toBe('accepted');
});

test('Temporal hung (SIGSTOP): a start unanswered within --request-timeout counts as unavailable; retrying shown, then the deadline named', async () => {
  const server = await startTemporal();
  temporal = server;
  const run = startStreamingStarter(
    ['submit', '-', '--retry-for', '2', '--request-timeout', '2', '--concurrency', '1'],
    { TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: `outage-${uniqueSuffix()}` },
  );
  run.write(upsertEvent(`outage-e-${uniqueSuffix()}`, { sequence: 1 }));
  expect(await run.lines(1)).toEqual([expect.objectContaining({ outcome: 'accepted' })]);
  server.process.kill('SIGSTOP');
  try {
    const hung = Date.now();
    run.write(upsertEvent(`outage-f-${uniqueSuffix()}`, { sequence: 1 }));
    run.end();
    const { code, stdout, stderr } = await run.exited;
    expect(code).toBe(2);
    // Without a deadline the start waits on the hung server for as long as the hang lasts.
    expect(Date.now() - hung).toBeLessThan(30_000);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /Temporal unavailable for \d+ s \(.*DEADLINE_EXCEEDED.*\); retrying for up to 2 s/,
    );
    expect(stderr).toMatch(
      /starter: Temporal is unavailable \(for \d+ s\): .*DEADLINE_EXCEEDED.*1 event\(s\) were reported above/s,
    );
  } finally {
    server.process.kill('SIGCONT');
  }
});
