// Command-line options of `npm run bench`.
import { Command, InvalidArgumentError, Option } from 'commander';
import { DOCUMENT_SETS, type DocumentSet } from './documents';

export const SCENARIOS = [
  'outcomes',
  'burst',
  'stream',
  'latency',
  'memory',
  'realistic-iam',
  'floor-ratio',
] as const;
export type Scenario = (typeof SCENARIOS)[number];
/** What `--scenarios` defaults to: memory, realistic-iam and floor-ratio are long, ask for them by name. */
export const DEFAULT_SCENARIOS: Scenario[] = ['outcomes', 'burst', 'stream', 'latency'];

export interface BenchOptions {
  events: number;
  policies: number;
  dupRate: number;
  burstRate: number;
  burstSize: number;
  rate: number;
  concurrency: number;
  baselineConcurrency?: number;
  seed: number;
  /** The upserts' documents: the bench's small ones, or real ones from the corpus. */
  documents: DocumentSet;
  /** Offered rates of the latency passes; `half`: half of the stream scenario's throughput in this run. */
  latencyRates: LatencyRate[];
  latencySeconds: number;
  phaseEvents: number;
  bursts: number;
  burstN: number;
  burstSpreadMs: number;
  memoryEvents: number;
  memoryCheckpoint: number;
  heapProbe: boolean;
  heapSnapshots: number[];
  scenarios: Scenario[];
  temporal?: string;
  /** A local cluster's state directory: its processes count as the server's CPU. */
  temporalPidsFrom?: string;
  /** Worker processes per pass of the stream, latency and realistic-iam scenarios. */
  workers: number;
  moto?: string;
  dbFile: boolean;
  sqlitePragma: string[];
  dynamicConfig: string[];
  iamLatencyMs: number;
  iamRateLimit: number;
  iamLatencyMeanMs: number;
  iamLatencyJitterMs: number;
  iamReadsPerSecond: number;
  iamWritesPerSecond: number;
  repeats: number;
  workerEntry: string;
  workerEnv: string[];
  workerNodeArg: string[];
  profileSample: number;
  baseline: boolean;
  out: string;
}

function integer(min: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new InvalidArgumentError(`an integer ≥ ${min}`);
    return parsed;
  };
}

function fraction(value: string): number {
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed < 1)) throw new InvalidArgumentError('a number in [0, 1)');
  return parsed;
}

function nonNegative(value: string): number {
  const parsed = Number(value);
  if (!(parsed >= 0)) throw new InvalidArgumentError('a number ≥ 0');
  return parsed;
}

function positive(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0)) throw new InvalidArgumentError('a number > 0');
  return parsed;
}

/** A latency pass's offered rate: events/s, or half of the saturation the stream scenario measured. */
export type LatencyRate = number | 'half';

function rateList(value: string): LatencyRate[] {
  return value.split(',').map((entry) => {
    const text = entry.trim();
    if (text === 'half') return 'half';
    const rate = Number(text);
    if (!(rate > 0)) throw new InvalidArgumentError(`comma-separated numbers > 0 or 'half', got ${text}`);
    return rate;
  });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function scenarioList(value: string): Scenario[] {
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown scenario ${name} (one of ${SCENARIOS.join(', ')})`);
    }
  }
  return names as Scenario[];
}

export function parseOptions(argv: string[]): BenchOptions {
  const program = new Command('bench')
    .description(
      'Throughput, latency, IAM calls and history per event of the service against a direct baseline.\n' +
        'Starts its own Temporal dev server and moto unless --temporal/--moto are given.',
    )
    .option('--events <n>', 'events in the stream scenario', integer(1), 2000)
    .option('--policies <n>', 'distinct policies in the streams', integer(1), 200)
    .option(
      '--dup-rate <f>',
      'share of redeliveries in the streams (0 and --burst-rate 0: the plain mixed stream)',
      fraction,
      0.2,
    )
    .option('--burst-rate <f>', 'share of events in bursts of updates to one policy', fraction, 0.2)
    .option('--burst-size <n>', 'updates per burst in the streams', integer(2), 10)
    .addOption(
      new Option(
        '--documents <set>',
        "the upserts' documents: small (2 statements), or corpus (real AWS managed policies the service writes)",
      )
        .choices(DOCUMENT_SETS)
        .default('small'),
    )
    .option('--rate <n>', 'events/s offered in the stream scenario; 0 = full speed', nonNegative, 0)
    .option(
      '--concurrency <n>',
      'events in flight at full speed (the starter CLI default is 16)',
      integer(1),
      16,
    )
    .option(
      '--baseline-concurrency <n>',
      'events the baseline applies at once (default: --concurrency)',
      integer(1),
    )
    .option('--seed <n>', 'seed of the generated streams', integer(0), 42)
    .option(
      '--latency-rates <list>',
      "events/s offered in the latency scenario, one pass each; 'half': half of the stream scenario's throughput (--rate 0) in this run",
      rateList,
      ['half', 5] as LatencyRate[],
    )
    .option('--latency-seconds <n>', 'length of each latency pass (at the offered rate)', integer(1), 20)
    .option('--phase-events <n>', 'events per phase of the outcomes scenario', integer(1), 40)
    .option('--bursts <n>', 'bursts in the burst scenario', integer(1), 5)
    .option('--burst-n <n>', 'upserts per burst in the burst scenario', integer(2), 20)
    .option(
      '--burst-spread-ms <n>',
      'burst scenario: submit each burst evenly over this long instead of all at once',
      integer(0),
      0,
    )
    .option('--memory-events <n>', 'events of the memory scenario (--scenarios memory)', integer(1), 10000)
    .option(
      '--memory-checkpoint <n>',
      'RSS is compared with its value after this many events',
      integer(1),
      1000,
    )
    .option(
      '--heap-probe',
      'memory scenario: at every checkpoint a full collection in each worker thread, and the heaps after it ' +
        '(runs the worker through bench/tuned-worker.ts when --worker-entry is the default)',
      false,
    )
    .option(
      '--heap-snapshots <list>',
      'with --heap-probe: heap snapshots of every worker thread at these checkpoints (1-based, e.g. 2,10)',
      (value: string) => {
        const list = value.split(',').map(Number);
        if (list.some((n) => !Number.isInteger(n) || n < 1)) {
          throw new InvalidArgumentError('comma-separated integers ≥ 1');
        }
        return list;
      },
      [] as number[],
    )
    .addOption(
      new Option('--scenarios <list>', `comma-separated, of: ${SCENARIOS.join(', ')}`)
        .argParser(scenarioList)
        .default([...DEFAULT_SCENARIOS]),
    )
    .option('--temporal <host:port>', 'use this Temporal instead of starting a dev server')
    .option(
      '--temporal-pids-from <dir>',
      "with --temporal: the state directory of the local cluster it is (npm run cluster, default .local/cluster); its services' and PostgreSQL's CPU count as the server's, its /metrics give the Actions counter",
    )
    .option(
      '--workers <n>',
      'worker processes on the task queue of each pass of the stream, latency and realistic-iam scenarios (the others keep one)',
      integer(1),
      1,
    )
    .option('--moto <url>', 'use this moto instead of starting one (it is then not reset between phases)')
    .option('--db-file', 'dev server: SQLite in a temporary file instead of in memory', false)
    .option('--sqlite-pragma <pragma=value>', 'dev server --sqlite-pragma (repeatable)', collect, [])
    .option('--dynamic-config <key=value>', 'dev server --dynamic-config-value (repeatable)', collect, [])
    .option('--iam-latency-ms <n>', 'what-if: the proxy adds this latency to every IAM call', nonNegative, 0)
    .option(
      '--iam-rate-limit <n>',
      'what-if: IAM calls/s the proxy lets through (others wait); 0 = none',
      nonNegative,
      0,
    )
    .option(
      '--iam-latency-mean-ms <n>',
      'realistic-iam: mean latency the proxy gives every IAM call',
      nonNegative,
      100,
    )
    .option(
      '--iam-latency-jitter-ms <n>',
      'realistic-iam: each latency drawn evenly from the mean ± this',
      nonNegative,
      50,
    )
    .option(
      '--iam-reads-per-second <n>',
      'realistic-iam: token bucket of each read API (GetPolicy, ...); beyond it Throttling',
      positive,
      20,
    )
    .option(
      '--iam-writes-per-second <n>',
      'realistic-iam: token bucket of each write API (CreatePolicyVersion, ...)',
      positive,
      10,
    )
    .option(
      '--repeats <n>',
      'realistic-iam, floor-ratio: passes of each stream through each side',
      integer(1),
      2,
    )
    .option('--worker-entry <path>', 'worker entry point, relative to the repository', 'src/worker.ts')
    .option('--worker-env <key=value>', 'extra environment of the worker process (repeatable)', collect, [])
    .option(
      '--worker-node-arg <flag>',
      'node flag for the worker process, e.g. --cpu-prof (repeatable)',
      collect,
      [],
    )
    .option(
      '--profile-sample <n>',
      'event workflow histories read for the task profile (0: none)',
      integer(0),
      100,
    )
    .option('--no-baseline', 'skip the direct baseline passes (for quick profiling runs)')
    .option('--out <file>', 'JSON results', 'bench/results/latest.json')
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const options = program.opts<BenchOptions>();
  const problem = latencyRatesProblem(options);
  if (problem) program.error(`error: ${problem}`);
  return options;
}

/** Half of saturation is measured by the stream scenario at full speed earlier in the same run. */
export function latencyRatesProblem(
  options: Pick<BenchOptions, 'scenarios' | 'latencyRates' | 'rate'>,
): string | undefined {
  if (!options.scenarios.includes('latency') || !options.latencyRates.includes('half')) return undefined;
  if (options.scenarios.includes('stream') && options.rate === 0) return undefined;
  return '--latency-rates half needs the stream scenario at full speed (--rate 0) in the same run; give rates in events/s instead';
}

/** The worker environment of `--worker-env KEY=VALUE` options. */
export function workerEnv(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error(`--worker-env wants KEY=VALUE, got ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
