// Server restart: a Temporal dev server of its own, with its state in a SQLite file, is stopped and
// started again on the same port while events stream in. Nothing is lost: the submitter retries what
// could not be started (as an upstream system redelivers) and every event reaches its outcome.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startIamProxy } from '../iam-proxy';
import { freePort, startTemporal, tempDir, type RunningServer } from '../servers';
import { startSupervisedWorker } from '../worker-process';
import {
  connectClient,
  countBy,
  finalOutcomes,
  mapPool,
  type ScenarioReport,
  sleep,
  submitDelivery,
  verifyStream,
} from '../scenario-runner';
import { randomFor, runId, say, type ScenarioContext } from './context';
import { singleDeliveries } from './storm';

export interface ServerRestartSize {
  policies: number;
  eventsPerPolicy: number;
  /** How long the server stays down. */
  downMs: number;
  settleMs: number;
}

export async function serverRestart(
  context: ScenarioContext,
  size: ServerRestartSize,
): Promise<ScenarioReport> {
  const started = Date.now();
  const run = runId(context, 'restart');
  const random = randomFor(context, 4);
  const taskQueue = `reliability-${run}`;
  const dbDirectory = tempDir('temporal-db-');
  const dbFilename = join(dbDirectory, 'temporal.sqlite');
  const port = await freePort();
  let server: RunningServer = await startTemporal({ dbFilename, port });
  const proxy = await startIamProxy(context.motoEndpoint, {
    strict: true,
    seed: context.seed,
    recordParams: false,
  });
  const client = await connectClient(server.address);
  // A worker that never starts must not leave this scenario's server running.
  const worker = await startSupervisedWorker(
    { temporalAddress: server.address, taskQueue, iamEndpoint: proxy.endpoint },
    (line) => say(context, `restart: ${line}`),
  ).catch(async (error: unknown) => {
    await Promise.allSettled([client.connection.close(), proxy.close(), server.stop()]);
    rmSync(dbDirectory, { recursive: true, force: true });
    throw error;
  });
  try {
    const events = random.shuffle(singleDeliveries(run, size));
    say(
      context,
      `restart: ${events.length} events; the Temporal server goes down for ${size.downMs} ms mid-stream`,
    );
    let submitted = 0;
    let restarted = false;
    const submitting = mapPool(events, 4, async (event) => {
      const report = await submitDelivery(client, taskQueue, event, { wait: false, retryForMs: 120_000 });
      submitted += 1;
      return report;
    });
    while (submitted < events.length / 2) await sleep(50);
    await server.stop();
    say(context, `restart: server stopped after ${submitted} submissions`);
    await sleep(size.downMs);
    server = await startTemporal({ dbFilename, port });
    restarted = true;
    const reports = await submitting;
    const outcomes = await finalOutcomes(client, events, size.settleMs);
    const verdict = await verifyStream(client, events, outcomes, context.motoEndpoint);
    return {
      scenario: 'server restart',
      events: events.length,
      deliveries: reports.reduce((sum, r) => sum + 1 + r.retries, 0),
      faults: { 'server restarts': restarted ? 1 : 0, 'worker restarts': worker.restarts() },
      outcomes: countBy([...outcomes.values()], (o) => o.outcome),
      iamCalls: proxy.totalRequests(),
      ...verdict,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await worker.stop();
    await client.connection.close();
    await proxy.close();
    await server.stop();
    rmSync(dbDirectory, { recursive: true, force: true });
  }
}
