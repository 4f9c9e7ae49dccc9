// `npm run bench:drift`: what a drift check costs in IAM calls, for N managed policies (default 1,000)
// against moto, counted by the counting proxy in front of it. A worker process (src/worker.ts) on a dev
// server of its own; the policies are created through the service (so each has its policy workflow),
// then checked three times: all in sync, with some changed by hand (report only), and repairing them.
// Progress on stderr, the table on stdout, JSON with --out.
//
//   npm run bench:drift -- [--policies 1000] [--drifted 10] [--iam-latency-ms 0] [--iam-rate-limit 0] [--out FILE]
import '../src/node-version'; // first: refuses a Node older than 24
import { CreatePolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import type { DriftReport } from '../src/domain/drift';
import { runDriftCheck } from '../src/starter/drift-check';
import { submitEvent } from '../src/starter/submit';
import { integerFrom } from '../src/config/cli-options';
import { callsBetween, type CallCounts } from './counting-proxy';
import { startEnvironment, type Environment } from './environment';
import { log } from './progress';
import { MANAGED_BY, startWorker } from './service-run';
import { round } from './stats';

interface CheckRun {
  label: string;
  outcome: DriftReport['outcome'];
  managed: number;
  drifted: number;
  seconds: number;
  /** Every IAM call the proxy saw while the check ran (repair events' own calls included). */
  calls: CallCounts;
  /** The check's own IAM calls, as its report counts them. */
  reportedCalls: number;
  perManagedPolicy: number;
}

const ACCOUNT_ID = '123456789012';

function documentAllowing(action: string): Record<string, unknown> {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [action], Resource: '*' }] };
}

async function createPolicies(
  env: Environment,
  taskQueue: string,
  names: string[],
  path: string,
): Promise<void> {
  let next = 0;
  let done = 0;
  const started = performance.now();
  const submitOne = async (name: string) => {
    const report = await submitEvent(
      {
        specversion: '1.0',
        source: 'urn:bench:drift',
        id: `create-${name}`,
        type: 'iam.policy.upsert',
        sequence: 1,
        data: { policyName: name, path, document: documentAllowing('s3:GetObject'), tags: { team: 'bench' } },
      },
      { client: env.client, taskQueue, wait: true, reservedTagKeys: [MANAGED_BY.key] },
    );
    if (report.outcome !== 'created') throw new Error(`${name}: ${report.outcome} ${report.reason ?? ''}`);
    done += 1;
    if (done % 100 === 0)
      log(`created ${done}/${names.length} (${round((performance.now() - started) / 1000, 0)} s)`);
  };
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < names.length) await submitOne(names[next++]);
    }),
  );
}

async function measure(
  env: Environment,
  taskQueue: string,
  label: string,
  pathPrefix: string,
  repair: boolean,
): Promise<CheckRun> {
  const before = env.proxy.snapshot();
  const started = performance.now();
  const { report } = await runDriftCheck(env.client, {
    taskQueue,
    pathPrefix,
    repair,
    searchAttributes: true,
  });
  const seconds = (performance.now() - started) / 1000;
  const calls = callsBetween(before, env.proxy.snapshot());
  const run: CheckRun = {
    label,
    outcome: report.outcome,
    managed: report.policies.managed,
    drifted: report.policies.drifted,
    seconds: round(seconds, 1),
    calls,
    reportedCalls: report.iamCalls,
    perManagedPolicy: report.iamCallsPerManagedPolicy,
  };
  log(`${label}: ${report.outcome}, ${calls.total} IAM calls in ${run.seconds} s`);
  return run;
}

function table(runs: CheckRun[]): string {
  const header =
    '| check | outcome | managed | drifted | IAM calls (proxy) | by action | check own calls | per managed policy | seconds |';
  const rule = '| --- | --- | --: | --: | --: | --- | --: | --: | --: |';
  const rows = runs.map((run) => {
    const actions = Object.entries(run.calls.byAction)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([action, count]) => `${action} ${count}`)
      .join(', ');
    return `| ${run.label} | ${run.outcome} | ${run.managed} | ${run.drifted} | ${run.calls.total} | ${actions} | ${run.reportedCalls} | ${run.perManagedPolicy} | ${run.seconds} |`;
  });
  return [header, rule, ...rows].join('\n');
}

async function main(): Promise<void> {
  const options = new Command('bench:drift')
    .option('--policies <n>', 'managed policies', integerFrom(1, 100_000), 1000)
    .option(
      '--drifted <n>',
      'policies changed by hand before the second and third check',
      integerFrom(0, 100_000),
      10,
    )
    .option(
      '--iam-latency-ms <ms>',
      'added to every IAM call (moto answers in a millisecond)',
      integerFrom(0, 10_000),
      0,
    )
    .option(
      '--iam-rate-limit <n>',
      'IAM requests per second the proxy lets through (0: no limit)',
      integerFrom(0, 100_000),
      0,
    )
    .option('--out <file>', 'write the results as JSON')
    .parse(process.argv)
    .opts<{ policies: number; drifted: number; iamLatencyMs: number; iamRateLimit: number; out?: string }>();
  const runId = Date.now().toString(36).slice(-6);
  const env = await startEnvironment({
    dbFile: false,
    sqlitePragmas: [],
    dynamicConfig: [],
    iamEmulation: { latencyMs: options.iamLatencyMs, rateLimit: options.iamRateLimit },
  });
  const taskQueue = `bench-${runId}-drift`;
  const worker = await startWorker(env, taskQueue, {
    entry: 'src/worker.ts',
    // The checks are started here (no schedule); a repair waits IAM_CONSISTENCY_WAIT_MS after the
    // service's last write to the policy, 5 s here instead of 2 minutes.
    env: {
      DRIFT_CHECK_INTERVAL_MS: '0',
      IAM_CONSISTENCY_WAIT_MS: '5000',
      NODE_OPTIONS: '--max-old-space-size=512',
    },
    nodeArgs: [],
  });
  try {
    const path = `/bench-drift-${runId}/`;
    const names = Array.from(
      { length: options.policies },
      (_, i) => `drift-${runId}-${String(i).padStart(5, '0')}`,
    );
    log(`creating ${names.length} policies under ${path} through the service`);
    await createPolicies(env, taskQueue, names, path);
    const createdAt = performance.now();
    const runs: CheckRun[] = [await measure(env, taskQueue, 'in sync', path, false)];
    if (options.drifted > 0) {
      const moto = new IAMClient({
        endpoint: env.motoAddress,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      const step = Math.max(1, Math.floor(names.length / options.drifted));
      for (const name of names.filter((_, i) => i % step === 0).slice(0, options.drifted)) {
        await moto.send(
          new CreatePolicyVersionCommand({
            PolicyArn: `arn:aws:iam::${ACCOUNT_ID}:policy${path}${name}`,
            PolicyDocument: JSON.stringify(documentAllowing('s3:*')),
            SetAsDefault: true,
          }),
        );
      }
      runs.push(await measure(env, taskQueue, `${options.drifted} changed by hand, repair off`, path, false));
      const settle = createdAt + 6_000 - performance.now();
      if (settle > 0) await new Promise((resolve) => setTimeout(resolve, settle));
      runs.push(await measure(env, taskQueue, `${options.drifted} changed by hand, repair on`, path, true));
      runs.push(await measure(env, taskQueue, 'after the repair', path, false));
    }
    process.stdout.write(
      `drift check of ${options.policies} managed policies against moto (IAM latency ${options.iamLatencyMs} ms, ` +
        `rate limit ${options.iamRateLimit || 'none'})\n\n${table(runs)}\n`,
    );
    if (options.out) writeFileSync(options.out, `${JSON.stringify({ options, runs }, null, 2)}\n`);
  } finally {
    await worker.stop();
    await env.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
