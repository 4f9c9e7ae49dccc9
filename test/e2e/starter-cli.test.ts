// The starter CLI as the upstream system runs it: a child process, NDJSON in, JSON lines out, exit status.
import type { InputItem } from '../../src/sources/ndjson-input';
import type { SubmitReport } from '../../src/starter/submit';
import { submitStream } from '../../src/starter/submit-stream';
import { runCli } from '../../harness/cli';
import { testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { policiesNamed, upsertEvent } from '../../harness/events';
import { freePort } from '../../harness/servers';
import { startService, type RunningService } from '../../harness/service';

async function runStarter(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; lines: Record<string, unknown>[]; stderr: string }> {
  const run = await runCli('src/starter.ts', args, options);
  return { code: run.code, lines: run.lines(), stderr: run.stderr };
}

let service: RunningService;
let env: Record<string, string>;

beforeAll(async () => {
  service = await startService();
  env = { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE: service.taskQueue };
});

afterAll(async () => {
  await service?.stop();
});

test('the contract example, one event at a time: created, duplicate, updated, deleted', async () => {
  const run = await runStarter(['submit', 'contract/examples/basic.ndjson', '--wait', '--concurrency', '1'], {
    env,
  });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.lines.map((l) => [l.id, l.outcome])).toEqual([
    ['evt-0001', 'created'],
    ['evt-0001', 'duplicate'],
    ['evt-0002', 'updated'],
    ['evt-0003', 'deleted'],
  ]);
  expect(run.lines[1]).toMatchObject({ firstOutcome: 'created', policyName: 'reports-read' });
  expect(await policiesNamed(service.iam, 'reports-read')).toHaveLength(0);
});

test('bad lines are reported with their line number and the rest of the stream is applied', async () => {
  const name = `cli-mixed-${uniqueSuffix()}`;
  const stdin = [
    '{not json',
    JSON.stringify({
      specversion: '1.0',
      id: 'x',
      source: 'urn:t',
      type: 'iam.policy.rename',
      data: { policyName: name },
    }),
    '',
    JSON.stringify(upsertEvent(name, { sequence: 1 })),
  ].join('\n');
  const run = await runStarter(['submit', '-', '--wait'], { env, stdin });
  expect(run.code).toBe(1);
  const byLine = new Map(run.lines.map((l) => [l.line, l]));
  expect(byLine.get(1)).toMatchObject({ outcome: 'rejected' });
  expect(String(byLine.get(1)?.reason)).toMatch(/^line 1: not valid JSON/);
  expect(byLine.get(2)).toMatchObject({ outcome: 'rejected', id: 'x', source: 'urn:t' });
  expect(String(byLine.get(2)?.reason)).toMatch(/^line 2: .*type/);
  expect(byLine.get(4)).toMatchObject({ outcome: 'created', policyName: name });
  expect(await policiesNamed(service.iam, name)).toHaveLength(1);
});

test('a JSON array is accepted as input, and without --wait events are reported as accepted', async () => {
  const name = `cli-array-${uniqueSuffix()}`;
  const run = await runStarter(['submit', '-'], {
    env,
    stdin: JSON.stringify([upsertEvent(name, { sequence: 1 })]),
  });
  expect(run.code).toBe(0);
  expect(run.lines).toEqual([expect.objectContaining({ line: 1, outcome: 'accepted', policyName: name })]);
});

test('usage and connection problems exit with status 2 and say why', async () => {
  // The five runs at once: the unreachable server alone takes the client's 10-second connect timeout
  // (one attempt: --retry-for 0; waiting for Temporal at the start is in starter-outage.test.ts).
  const unreachableAddress = `127.0.0.1:${await freePort()}`;
  const [usage, missingFile, directory, badConfig, unreachable] = await Promise.all([
    runStarter(['submit'], { env }),
    runStarter(['submit', 'no/such/file.ndjson'], { env }),
    runStarter(['plan', 'test'], { env }),
    runStarter(['submit', '-'], { env: { ...env, TEMPORAL_ADDRESS: 'not an address' } }),
    runStarter(['submit', '-', '--retry-for', '0'], {
      env: { ...env, TEMPORAL_ADDRESS: unreachableAddress },
      stdin: JSON.stringify(upsertEvent('never-applied')),
    }),
  ]);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/missing required argument/);

  expect(missingFile.code).toBe(2);
  expect(missingFile.stderr).toMatch(/cannot read no\/such\/file.ndjson/);
  expect(directory.code).toBe(2);
  expect(directory.stderr).toMatch(/cannot read test: EISDIR/);

  expect(badConfig.code).toBe(2);
  expect(badConfig.stderr).toMatch(/TEMPORAL_ADDRESS/);

  expect(unreachable.code).toBe(2);
  expect(unreachable.stderr).toMatch(new RegExp(`cannot reach Temporal at ${unreachableAddress}: `));
  expect(unreachable.stderr).not.toMatch(/trying again/);
});

test('a read error mid-stream: the events read before it are still submitted and reported, then it is raised', async () => {
  const names = [1, 2, 3].map((n) => `cli-broken-${n}-${uniqueSuffix()}`);
  async function* brokenInput(): AsyncGenerator<InputItem> {
    for (const [index, name] of names.entries()) {
      await new Promise((resolve) => setImmediate(resolve)); // as a read from a stream would
      yield { line: index + 1, value: upsertEvent(name) };
    }
    throw new Error('EIO: i/o error, read');
  }
  const reports: SubmitReport[] = [];
  await expect(
    submitStream(brokenInput(), { ...service.submitOptions(), concurrency: 16 }, (report) => {
      reports.push(report);
    }),
  ).rejects.toThrow(/EIO/);
  // All three were in flight when the input broke; each finished and was reported before the error.
  expect(reports.map((report) => [report.policyName, report.outcome]).sort()).toEqual(
    names.map((name) => [name, 'created']).sort(),
  );
});

test('an empty input says so on stderr; an invalid policy name is a usage error naming it', async () => {
  const empty = await runStarter(['submit', '-'], { env, stdin: '\n  \n' });
  expect(empty.code).toBe(0);
  expect(empty.lines).toEqual([]);
  expect(empty.stderr).toMatch(/starter: no events in stdin/);
  const invalid = await runStarter(['policy', 'a b'], { env });
  expect(invalid.code).toBe(2);
  expect(invalid.stderr).toMatch(/invalid policy name "a b"/);
});
