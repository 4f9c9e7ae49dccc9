// `npm run bench`: throughput, latency, IAM calls and Temporal history per event of the service, against
// a direct baseline in the same run. Progress on stderr; tables on stdout; JSON in --out.
import '../src/node-version'; // first: refuses a Node older than 24
import { startEnvironment } from './environment';
import { parseOptions, workerEnv } from './options';
import { machineInfo } from './proc';
import { log } from './progress';
import { provenance } from './provenance';
import { renderText, writeJson } from './report';
import { runBurstScenario } from './scenarios/burst';
import { runFloorRatioScenario } from './scenarios/floor-ratio';
import type { ScenarioContext } from './scenarios/context';
import { runLatencyScenario } from './scenarios/latency';
import { runMemoryScenario } from './scenarios/memory';
import { runOutcomesScenario } from './scenarios/outcomes';
import { runRealisticIamScenario } from './scenarios/realistic-iam';
import { runStreamScenario } from './scenarios/streams';
import { checkTargets, type Results } from './targets';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = new Date();
  const runId = Date.now().toString(36).slice(-6);
  const before = provenance();
  log(`run ${runId}: scenarios ${options.scenarios.join(', ')}`);
  const env = await startEnvironment({
    temporalAddress: options.temporal,
    motoAddress: options.moto,
    dbFile: options.dbFile,
    sqlitePragmas: options.sqlitePragma,
    dynamicConfig: options.dynamicConfig,
    iamEmulation: { latencyMs: options.iamLatencyMs, rateLimit: options.iamRateLimit },
    temporalPidsFrom: options.temporalPidsFrom,
  });
  log(`Temporal ${env.temporalAddress}, moto ${env.motoAddress}, counting proxy ${env.proxy.endpoint}`);
  const context: ScenarioContext = {
    env,
    options,
    runId,
    worker: {
      entry: options.workerEntry,
      env: workerEnv(options.workerEnv),
      nodeArgs: options.workerNodeArg,
      count: options.workers,
    },
  };
  const results: Results = {};
  try {
    const wanted = new Set(options.scenarios);
    if (wanted.has('outcomes')) results.outcomes = await runOutcomesScenario(context);
    if (wanted.has('burst')) results.burst = await runBurstScenario(context);
    if (wanted.has('stream')) results.stream = await runStreamScenario(context);
    if (wanted.has('latency'))
      results.latency = await runLatencyScenario(context, results.stream?.service.throughput.eventsPerSecond);
    if (wanted.has('memory')) results.memory = await runMemoryScenario(context);
    if (wanted.has('realistic-iam')) results.realisticIam = await runRealisticIamScenario(context);
    if (wanted.has('floor-ratio')) results.floorRatio = await runFloorRatioScenario(context);
  } finally {
    await env.close();
  }
  const targets = checkTargets(results, options.burstN);
  const whatIf = options.iamLatencyMs > 0 || options.iamRateLimit > 0;
  if (whatIf) {
    process.stdout.write(
      `WHAT-IF: IAM emulated at the proxy with ${options.iamLatencyMs} ms latency and ` +
        `${options.iamRateLimit || 'no'} calls/s rate limit; not the figures of the targets\n\n`,
    );
  }
  process.stdout.write(`${renderText(results, targets, whatIf)}\n`);
  await writeJson(options.out, {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    startedAt: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    machine: machineInfo(),
    provenance: { atStart: before, atEnd: provenance() },
    options,
    ...(whatIf ? { whatIf: 'IAM emulated at the proxy: the targets are not judged by this run' } : {}),
    targets,
    results,
  });
  log(`results written to ${options.out}`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
