// `npm run bench:accounts`: does a flood of events in one AWS account delay another account's events?
// One worker process (src/worker.ts) allowed into account B (IAM_ACCOUNTS, the role assumed through
// moto's STS) beside its default account A, IAM answered after --iam-latency-ms at the counting proxy
// so that calls take time as at IAM. Passes alternate: A's paced stream alone ("quiet"), then the same
// stream while B receives a flood at full speed ("flooded"). The figure is A's latency in both, and where
// A's time went: its tasks queued and running (read from its workflows' histories), and each account's
// IAM calls and their waits for the account's caps (the worker's own metrics, METRICS_PORT).
// Progress on stderr, the table on stdout, JSON with --out.
//
//   npm run bench:accounts -- [--seconds 20] [--rate 4] [--flood 300] [--flood-concurrency 64]
//                             [--repeats 2] [--iam-latency-ms 100]
//                             [--account-task-queue [--account-worker [--account-worker-nice N]]]
//                             [--worker-env K=V ...]
//                             [--dynamic-config K=V ...] [--temporal HOST:PORT [--temporal-pids-from DIR]]
//                             [--out FILE]
import '../src/node-version'; // first: refuses a Node older than 24
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { integerFrom } from '../src/config/cli-options';
import { drive, type Timed } from './driver';
import { startEnvironment } from './environment';
import { machineInfo } from './proc';
import { workerEnv } from './options';
import { log } from './progress';
import { provenance } from './provenance';
import { cpuMeter, MANAGED_BY, startWorker, type CpuUse } from './service-run';
import { groupOf } from './worker-group';
import { profileTasks, type TaskProfile } from './history';
import { eventWorkflowId } from '../src/temporal/event-identity';
import { policyWorkflowId } from '../src/domain/ids';
import type { Client } from '@temporalio/client';
import { latencySummary, round, throughput, type LatencySummary } from './stats';
import { generateStream, type BenchEvent } from './stream';
import { freePort } from '../harness/servers';
import { histogramDelta, scrape, summariseHistogram, type HistogramSummary } from './worker-metrics';

const ACCOUNT_B = '222222222222';

interface Options {
  seconds: number;
  rate: number;
  flood: number;
  floodConcurrency: number;
  repeats: number;
  iamLatencyMs: number;
  accountTaskQueue: boolean;
  accountWorker: boolean;
  accountWorkerNice?: number;
  workerEnv: string[];
  dynamicConfig: string[];
  temporal?: string;
  temporalPidsFrom?: string;
  out?: string;
}

interface Pass {
  label: 'quiet' | 'flooded';
  repeat: number;
  /** Account A's paced stream: submit (due time) → final outcome. */
  a: { events: number; latencyMs: LatencySummary; outcomes: Record<string, number> };
  /** Account B's flood, in the flooded passes. */
  b?: {
    events: number;
    eventsPerSecond: number;
    latencyMs: LatencySummary;
    outcomes: Record<string, number>;
  };
  cpu: CpuUse;
  /** The worker process's resident memory at the end of the pass. */
  workerRssMiB: number;
  /** Where account A's time went: its event and policy workflows' tasks, read from their histories. */
  aTasks: TaskProfile;
  /** Each account's IAM calls as the worker's metrics saw them: time at IAM, waits for the account's caps. */
  iam: Record<'a' | 'b', AccountIamTimes>;
}

interface AccountIamTimes {
  call: HistogramSummary;
  inFlightWait: HistogramSummary;
  rateWait: HistogramSummary;
}

/** Labels of the worker's metrics for accounts A (the worker's default) and B. */
const ACCOUNT_LABELS = { a: 'default', b: ACCOUNT_B } as const;

function iamTimes(before: readonly string[], after: readonly string[]): Pass['iam'] {
  const times = (account: string): AccountIamTimes => {
    const of = (name: string, labels: Record<string, string>) =>
      summariseHistogram(histogramDelta(before, after, name, { account, ...labels }));
    return {
      call: of('iam_policy_events_iam_call_seconds', {}),
      inFlightWait: of('iam_policy_events_iam_cap_wait_seconds', { cap: 'in-flight' }),
      rateWait: of('iam_policy_events_iam_cap_wait_seconds', { cap: 'rate' }),
    };
  };
  return { a: times(ACCOUNT_LABELS.a), b: times(ACCOUNT_LABELS.b) };
}

function parseOptions(argv: string[]): Options {
  const collect = (value: string, previous: string[]) => [...previous, value];
  return new Command('bench:accounts')
    .description("Account A's latency with and without a flood of events in account B, one worker")
    .option('--seconds <n>', "length of account A's paced stream in each pass", integerFrom(1, 3600), 20)
    .option('--rate <n>', "account A's events per second", integerFrom(1, 1000), 4)
    .option('--flood <n>', "events of account B's flood", integerFrom(1, 1_000_000), 300)
    .option('--flood-concurrency <n>', "account B's events in flight at once", integerFrom(1, 10_000), 64)
    .option('--repeats <n>', 'quiet and flooded passes, alternately', integerFrom(1, 100), 2)
    .option(
      '--iam-latency-ms <n>',
      'latency the counting proxy adds to every IAM call',
      integerFrom(0, 60_000),
      100,
    )
    .option(
      '--account-task-queue',
      "B's work on a task queue of its own (TEMPORAL_ACCOUNT_TASK_QUEUES), polled by the same worker process",
      false,
    )
    .option(
      '--account-worker',
      "with --account-task-queue: B's queue polled by a second worker process (WORKER_ACCOUNTS), not the first",
      false,
    )
    .option(
      '--account-worker-nice <n>',
      "with --account-worker: B's worker process under `nice -n N` (1-19), a lower CPU priority than A's",
      integerFrom(1, 19),
    )
    .option('--worker-env <key=value>', 'extra worker environment (repeatable)', collect, [])
    .option(
      '--dynamic-config <key=value>',
      "the dev server's dynamic configuration (repeatable), e.g. matching.enableFairness=true",
      collect,
      [],
    )
    .option('--temporal <host:port>', 'use this Temporal (e.g. the local cluster) instead of a dev server')
    .option(
      '--temporal-pids-from <dir>',
      "with --temporal: the local cluster's state directory (npm run cluster); its processes' CPU is the server's",
    )
    .option('--out <file>', 'JSON results')
    .allowExcessArguments(false)
    .parse(argv, { from: 'user' })
    .opts<Options>();
}

function checkedOptions(argv: string[]): Options {
  const options = parseOptions(argv);
  if (options.accountWorker && !options.accountTaskQueue) {
    process.stderr.write('bench:accounts: --account-worker needs --account-task-queue\n');
    process.exit(2);
  }
  if (options.accountWorkerNice !== undefined && !options.accountWorker) {
    process.stderr.write('bench:accounts: --account-worker-nice needs --account-worker\n');
    process.exit(2);
  }
  return options;
}

/** A plain mixed stream (creates, updates, unchanged, deletes) with names of its own, in `account`. */
function stream(prefix: string, events: number, account?: string): BenchEvent[] {
  const spec = {
    events,
    policies: Math.max(1, Math.ceil(events / 4)),
    dupRate: 0,
    burstRate: 0,
    burstSize: 2,
    seed: 7,
    prefix,
  };
  return generateStream(spec).map((event) =>
    account === undefined
      ? event
      : {
          ...event,
          raw: { ...event.raw, data: { ...(event.raw.data as Record<string, unknown>), account } },
        },
  );
}

/** The task timings of `events`' event workflows and of their policies' workflows (latest runs). */
function tasksOf(client: Client, events: readonly BenchEvent[], account?: string): Promise<TaskProfile> {
  const runs = (ids: Iterable<string>, type: string) =>
    [...ids].map((workflowId) => ({
      workflowId,
      runId: '',
      type,
      running: false,
      historyLength: 0,
      historySize: 0,
    }));
  const eventIds = events.map((e) => eventWorkflowId(String(e.raw.source), String(e.raw.id)));
  const policyIds = new Set(events.map((e) => policyWorkflowId(e.policyName, account)));
  return profileTasks(
    client,
    [...runs(eventIds, 'eventWorkflow'), ...runs(policyIds, 'policyWorkflow')],
    eventIds.length,
  );
}

function summarise(timings: readonly Timed[]) {
  return {
    events: timings.length,
    latencyMs: latencySummary(timings.map((t) => t.finishedAt - t.submittedAt)),
    outcomes: timings.reduce<Record<string, number>>((counts, t) => {
      counts[t.outcome] = (counts[t.outcome] ?? 0) + 1;
      return counts;
    }, {}),
  };
}

async function main(): Promise<void> {
  const options = checkedOptions(process.argv.slice(2));
  const started = new Date();
  const runId = Date.now().toString(36).slice(-6);
  const env = await startEnvironment({
    dbFile: false,
    sqlitePragmas: [],
    dynamicConfig: options.dynamicConfig,
    iamEmulation: { latencyMs: options.iamLatencyMs, rateLimit: 0 },
    ...(options.temporal ? { temporalAddress: options.temporal } : {}),
    ...(options.temporalPidsFrom ? { temporalPidsFrom: options.temporalPidsFrom } : {}),
  });
  const taskQueue = `bench-accounts-${runId}`;
  const passes: Pass[] = [];
  try {
    // Each worker process serves its metrics on a port of its own: every pass reads their IAM histograms.
    const metricsUrls: string[] = [];
    const workerFor = async (polled?: string) => {
      const port = await freePort();
      metricsUrls.push(`http://127.0.0.1:${port}/metrics`);
      return {
        entry: 'src/worker.ts',
        env: {
          METRICS_PORT: String(port),
          METRICS_HOST: '127.0.0.1',
          IAM_ACCOUNTS: ACCOUNT_B,
          ...(options.accountTaskQueue ? { TEMPORAL_ACCOUNT_TASK_QUEUES: ACCOUNT_B } : {}),
          ...(polled ? { WORKER_ACCOUNTS: polled } : {}),
          ...workerEnv(options.workerEnv),
        },
        nodeArgs: [],
      };
    };
    const scrapeAll = () => Promise.all(metricsUrls.map(scrape));
    // With --account-worker, B's queue has a worker process of its own (CPU and memory summed below).
    const worker = options.accountWorker
      ? groupOf([
          await startWorker(env, taskQueue, await workerFor('default')),
          await startWorker(env, taskQueue, {
            ...(await workerFor(ACCOUNT_B)),
            ...(options.accountWorkerNice !== undefined ? { niceness: options.accountWorkerNice } : {}),
          }),
        ])
      : await startWorker(env, taskQueue, await workerFor());
    try {
      const submit = {
        client: env.client,
        taskQueue,
        ...(options.accountTaskQueue ? { accountTaskQueues: [ACCOUNT_B] } : {}),
        reservedTagKeys: [MANAGED_BY.key],
      };
      const aEvents = options.rate * options.seconds;
      for (let repeat = 1; repeat <= options.repeats; repeat += 1) {
        for (const label of ['quiet', 'flooded'] as const) {
          const prefix = `${runId}-${label}${repeat}`;
          log(
            `[${label} ${repeat}] account A: ${aEvents} events at ${options.rate}/s` +
              (label === 'flooded' ? `; account B: ${options.flood} at once` : ''),
          );
          const metricsBefore = await scrapeAll();
          const cpu = cpuMeter(env, worker);
          const flood =
            label === 'flooded'
              ? drive(stream(`${prefix}-b`, options.flood, ACCOUNT_B), {
                  ...submit,
                  rate: 0,
                  concurrency: options.floodConcurrency,
                })
              : undefined;
          const aStream = stream(`${prefix}-a`, aEvents);
          const a = await Promise.race([
            worker.crashed,
            drive(aStream, { ...submit, rate: options.rate, concurrency: aEvents }),
          ]);
          const b = flood ? await Promise.race([worker.crashed, flood]) : undefined;
          const iam = iamTimes(metricsBefore, await scrapeAll());
          passes.push({
            label,
            repeat,
            a: summarise(a),
            ...(b ? { b: { ...summarise(b), eventsPerSecond: throughput(b).eventsPerSecond } } : {}),
            cpu: cpu(),
            workerRssMiB: Math.round(worker.rss() / 2 ** 20),
            aTasks: await tasksOf(env.client, aStream),
            iam,
          });
          const last = passes[passes.length - 1];
          log(
            `[${label} ${repeat}] A p50/p95 ${Math.round(last.a.latencyMs.p50)}/${Math.round(last.a.latencyMs.p95)} ms` +
              (last.b ? `; B ${last.b.eventsPerSecond.toFixed(1)} ev/s` : ''),
          );
        }
      }
    } finally {
      await worker.stop();
    }
  } finally {
    await env.close();
  }

  const lines = [
    `Account A at ${options.rate} events/s for ${options.seconds} s; account B's flood: ${options.flood} events, ${options.floodConcurrency} in flight; IAM ${options.iamLatencyMs} ms a call`,
    `worker environment: ${[...(options.accountTaskQueue ? [`TEMPORAL_ACCOUNT_TASK_QUEUES=${ACCOUNT_B}`] : []), ...(options.accountWorker ? [`WORKER_ACCOUNTS=default and ${ACCOUNT_B} (two processes${options.accountWorkerNice !== undefined ? `, B's at nice ${options.accountWorkerNice}` : ''})`] : []), ...options.workerEnv].join(' ') || '(defaults)'}; server: ${options.temporal ? `${options.temporal} (given)` : `dev server, ${options.dynamicConfig.join(' ') || 'defaults'}`}`,
    '',
    'pass        A p50 ms  A p95 ms  A max ms  B events/s  B p95 ms  worker RSS MiB  other outcomes (rejected, failed, ...)',
  ];
  const fine = new Set(['created', 'updated', 'unchanged', 'deleted', 'absent', 'superseded']);
  for (const p of passes) {
    const odd = [...Object.entries(p.a.outcomes), ...Object.entries(p.b?.outcomes ?? {})].filter(
      ([o]) => !fine.has(o),
    );
    lines.push(
      [
        `${p.label} ${p.repeat}`.padEnd(10),
        String(Math.round(p.a.latencyMs.p50)).padStart(9),
        String(Math.round(p.a.latencyMs.p95)).padStart(9),
        String(Math.round(p.a.latencyMs.max)).padStart(9),
        (p.b ? p.b.eventsPerSecond.toFixed(1) : '-').padStart(11),
        (p.b ? String(Math.round(p.b.latencyMs.p95)) : '-').padStart(9),
        String(p.workerRssMiB).padStart(15),
        `  ${odd.map(([o, n]) => `${o} ${n}`).join(', ') || 'none'}`,
      ].join(' '),
    );
  }
  lines.push(
    '',
    "Account A's tasks, p50/p95 ms: workflow task queued (scheduled → picked up), workflow task run (with its local activities), the write activity queued",
    'pass        wft queued   wft run      write queued',
  );
  const pair = (l: { p50: number; p95: number } | undefined) =>
    l ? `${Math.round(l.p50)}/${Math.round(l.p95)}`.padEnd(12) : '-'.padEnd(12);
  for (const p of passes) {
    lines.push(
      [
        `${p.label} ${p.repeat}`.padEnd(10),
        pair(p.aTasks.workflowTaskQueueMs),
        pair(p.aTasks.workflowTaskRunMs),
        pair(p.aTasks.activities.applyPlan?.queueMs),
      ].join(' '),
    );
  }
  lines.push(
    '',
    "Each account's IAM calls as the worker's metrics saw them, mean/p95 ms: an attempt at IAM, its wait for the account's slots (in flight) and tokens (rate)",
    'pass        A call       A in-flight  A rate       B call       B in-flight  B rate',
  );
  const times = (t: HistogramSummary) =>
    (t.count > 0 ? `${Math.round(t.meanMs)}/${Math.round(t.p95Ms)}` : '-').padEnd(12);
  for (const p of passes) {
    lines.push(
      [
        `${p.label} ${p.repeat}`.padEnd(10),
        ...(['a', 'b'] as const).flatMap((k) => [
          times(p.iam[k].call),
          times(p.iam[k].inFlightWait),
          times(p.iam[k].rateWait),
        ]),
      ].join(' '),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (options.out) {
    writeFileSync(
      options.out,
      `${JSON.stringify(
        {
          command: `npm run bench:accounts -- ${process.argv.slice(2).join(' ')}`.trim(),
          startedAt: started.toISOString(),
          seconds: round((Date.now() - started.getTime()) / 1000, 0),
          machine: machineInfo(),
          provenance: provenance(),
          options,
          passes,
        },
        null,
        2,
      )}\n`,
    );
    log(`results written to ${options.out}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:accounts: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
