// `consume-sqs --help` prints the usage without connecting to anything; an unknown argument or a
// missing --queue-url is a usage error.
import { runCli } from '../../harness/cli';

test('consume-sqs --help exits 0 with the usage; an extra argument or no --queue-url exits 2', async () => {
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const help = await runCli('src/consume-sqs.ts', ['--help'], { env });
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/Usage: consume-sqs/);
  expect(help.stdout).toMatch(/--request-timeout/);
  const extra = await runCli('src/consume-sqs.ts', ['--queue-url', 'http://127.0.0.1:1/q', 'extra'], { env });
  expect(extra.code).toBe(2);
  expect(extra.stderr).toMatch(/too many arguments/);
  const missing = await runCli('src/consume-sqs.ts', [], { env });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/--queue-url/);
}, 60_000);
