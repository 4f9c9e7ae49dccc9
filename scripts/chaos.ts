// Runs the reliability scenarios (harness/scenarios) at a larger size than `npm test` does, on a
// Temporal dev server and a moto of its own, and prints one table row per scenario: nothing may be lost
// and no final state may be wrong. Exit status 1 when any scenario found a problem.
//
//   npx tsx scripts/chaos.ts [--seed N] [--only storm,crash,...] [--quick]
//
// The seed (printed) makes the generated events, shuffles and IAM faults repeat; timing still varies.
import '../src/node-version'; // first: refuses a Node older than 24
import { startMoto, startTemporal, type RunningServer } from '../harness/servers';
import type { ScenarioReport } from '../harness/scenario-runner';
import { attachedAndBoundary } from '../harness/scenarios/attached';
import type { ScenarioContext } from '../harness/scenarios/context';
import { consistency } from '../harness/scenarios/consistency';
import { crash } from '../harness/scenarios/crash';
import { disorder } from '../harness/scenarios/disorder';
import { hostileStream } from '../harness/scenarios/hostile';
import { iamFaults } from '../harness/scenarios/iam-faults';
import { serverRestart } from '../harness/scenarios/server-restart';
import { duplicateStorm } from '../harness/scenarios/storm';
import { temporalOutage, type OutageKind } from '../harness/scenarios/temporal-outage';

type Scenario = (context: ScenarioContext, quick: boolean) => Promise<ScenarioReport>;

/**
 * Temporal away mid-stream while the starter (twice: one outlasting the outage, one giving up), ingest
 * and the SQS consumer carry events: longer than the starter's and the client's own retries.
 */
const outage =
  (kind: OutageKind): Scenario =>
  (c, q) =>
    temporalOutage(c, {
      kind,
      policiesPerSource: q ? 3 : 10,
      eventsPerPolicy: 3,
      downMs: q ? 25_000 : 60_000,
      ingestTimeoutMs: q ? 5000 : 10_000,
      shortRetryForS: 3,
      settleMs: 300_000,
    });

/** The sizes; --quick for a smoke run of a minute or two. */
const SCENARIOS: Record<string, Scenario> = {
  storm: (c, q) =>
    duplicateStorm(c, {
      policies: q ? 8 : 40,
      eventsPerPolicy: 5,
      minCopies: q ? 2 : 5,
      maxCopies: 5,
      submitters: 3,
    }),
  disorder: (c, q) => disorder(c, { policies: q ? 6 : 20, eventsPerPolicy: 8, concurrency: 8 }),
  crash: (c, q) =>
    crash(c, {
      policies: q ? 15 : 75,
      eventsPerPolicy: 4,
      kills: q ? 2 : 4,
      runMs: { min: 1500, max: 5000 },
      settleMs: 480_000,
    }),
  restart: (c, q) =>
    serverRestart(c, { policies: q ? 8 : 25, eventsPerPolicy: 4, downMs: 5000, settleMs: 300_000 }),
  faults: (c, q) =>
    iamFaults(c, {
      policies: q ? 8 : 20,
      eventsPerPolicy: 4,
      faults: { throttleRate: 0.3, serverErrorRate: 0.05, dropRate: 0.02 },
      outageMs: q ? 10_000 : 30_000,
      concurrency: 8,
    }),
  // Reads lagging behind each write by 2 s (IAM's eventual consistency) and 5 % of write answers lost.
  consistency: (c, q) =>
    consistency(c, {
      policies: q ? 6 : 20,
      eventsPerPolicy: 4,
      lagMs: 2_000,
      lostWriteRate: 0.05,
      concurrency: 8,
    }),
  inuse: (c) => attachedAndBoundary(c),
  hostile: (c, q) => hostileStream(c, { hostileLines: q ? 50 : 200, validEvents: q ? 5 : 20 }),
  'outage-killed': outage('killed'),
  'outage-hung': outage('hung'),
};

function parseArguments(argv: string[]): { seed: number; only: string[]; quick: boolean } {
  let seed = Date.now() % 1_000_000_000;
  let only = Object.keys(SCENARIOS);
  let quick = false;
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i];
    if (argument === '--seed' && /^\d+$/.test(argv[i + 1] ?? '')) seed = Number(argv[++i]);
    else if (argument === '--only' && argv[i + 1]) only = argv[++i].split(',');
    else if (argument === '--quick') quick = true;
    else throw new Error(`usage: chaos [--seed N] [--only ${Object.keys(SCENARIOS).join(',')}] [--quick]`);
  }
  const unknown = only.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}`);
  return { seed, only, quick };
}

const entries = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');

function table(reports: ScenarioReport[]): string {
  const header = [
    'scenario',
    'events',
    'deliveries',
    'faults injected',
    'outcomes',
    'IAM calls',
    'lost events',
    'wrong final states',
    'seconds',
  ];
  const rows = reports.map((r) => [
    r.scenario,
    String(r.events),
    String(r.deliveries),
    entries(r.faults),
    entries(r.outcomes),
    String(r.iamCalls),
    String(r.lost),
    String(r.wrongFinalStates),
    r.seconds.toFixed(0),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const { seed, only, quick } = parseArguments(process.argv.slice(2));
  const log = (text: string) => process.stderr.write(`chaos: ${text}\n`);
  log(`seed ${seed}${quick ? ' (quick)' : ''}; scenarios ${only.join(', ')}`);
  const servers: RunningServer[] = [];
  const reports: ScenarioReport[] = [];
  try {
    const [temporal, moto] = await Promise.all([startTemporal(), startMoto()]);
    servers.push(temporal, moto);
    // The in-process worker helper reads these, as under jest's global setup.
    process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
    process.env.TEST_IAM_ENDPOINT = moto.address;
    const context: ScenarioContext = {
      temporalAddress: temporal.address,
      motoEndpoint: moto.address,
      seed,
      log,
    };
    for (const name of only) {
      log(`${name}: starting`);
      const started = Date.now();
      try {
        const report = await SCENARIOS[name](context, quick);
        reports.push(report);
        log(
          `${name}: done in ${report.seconds.toFixed(0)} s, lost ${report.lost}, wrong ${report.wrongFinalStates}`,
        );
      } catch (error) {
        reports.push({
          scenario: `${name} (crashed)`,
          events: 0,
          deliveries: 0,
          faults: {},
          outcomes: {},
          iamCalls: 0,
          lost: 0,
          wrongFinalStates: 0,
          problems: [
            `the scenario itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          ],
          seconds: (Date.now() - started) / 1000,
        });
      }
    }
  } finally {
    await Promise.allSettled(servers.map((server) => server.stop()));
  }
  process.stdout.write(`\nchaos run, seed ${seed}${quick ? ' (quick)' : ''}\n\n${table(reports)}\n`);
  const failing = reports.filter((r) => r.lost > 0 || r.wrongFinalStates > 0 || r.problems.length > 0);
  for (const report of failing) {
    process.stdout.write(`\n${report.scenario}: ${report.problems.length} problems\n`);
    for (const problem of report.problems.slice(0, 30)) process.stdout.write(`  - ${problem}\n`);
  }
  return failing.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
