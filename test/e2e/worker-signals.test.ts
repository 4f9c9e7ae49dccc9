// `npm run worker` as an operator (or a supervisor) runs it: SIGTERM to the npm process reaches the
// worker, which stops gracefully; nothing of it is left polling or holding its metrics port.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { motoEnvironment, ROOT } from '../../harness/cli';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { freePort } from '../../harness/servers';

/** The npm next to this Node (the tools cache's Node 24 comes with one), else the one on PATH. */
const NPM = existsSync(join(dirname(process.execPath), 'npm'))
  ? join(dirname(process.execPath), 'npm')
  : 'npm';

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

test('SIGTERM to `npm run worker` stops the worker: "worker: stopped", no process left, the metrics port free', async () => {
  const metricsPort = await freePort();
  // Its own process group, so that what is left of it can be seen (and killed) afterwards.
  const npm = spawn(NPM, ['run', '--silent', 'worker'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: `signals-${uniqueSuffix()}`,
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      ...motoEnvironment(testIamEndpoint()),
    },
  });
  const pgid = npm.pid!;
  let stderr = '';
  npm.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + 90_000;
    while (!/worker: polling task queue/.test(stderr)) {
      if (Date.now() > deadline || npm.exitCode !== null) throw new Error(`worker not ready:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await portFree(metricsPort)).toBe(false);

    // To npm alone, as a supervisor that knows only the process it started would send it.
    process.kill(npm.pid!, 'SIGTERM');
    await npmExited;
    const gone = Date.now() + 20_000;
    while (groupAlive(pgid) && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(groupAlive(pgid)).toBe(false);
    expect(stderr).toMatch(/worker: stopped/);
    expect(await portFree(metricsPort)).toBe(true);
  } finally {
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  }
}, 150_000);
