// `worker --help` prints the usage without starting (nothing to connect to here); an argument is a
// usage error.
import { runCli } from '../../harness/cli';

test('worker --help exits 0 with the usage; an argument exits 2', async () => {
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const help = await runCli('src/worker.ts', ['--help'], { env });
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/Usage: worker/);
  expect((await runCli('src/worker.ts', ['extra'], { env })).code).toBe(2);
}, 60_000);
