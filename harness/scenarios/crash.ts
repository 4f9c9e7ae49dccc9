// Crash: the worker runs as its own process (src/worker.ts) and is SIGKILLed again and again while events
// are in flight, then started again. Every event still reaches its final outcome, with no duplicate
// policy and no extra or orphan version.
import { startIamProxy } from '../iam-proxy';
import { startWorkerProcess, type WorkerProcess } from '../worker-process';
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

export interface CrashSize {
  policies: number;
  eventsPerPolicy: number;
  kills: number;
  /** How long the worker runs between its start and the next kill, in ms (a range). */
  runMs: { min: number; max: number };
  /** How long to wait for the last outcomes after the last restart. */
  settleMs: number;
}

export async function crash(context: ScenarioContext, size: CrashSize): Promise<ScenarioReport> {
  const started = Date.now();
  const run = runId(context, 'crash');
  const random = randomFor(context, 3);
  const taskQueue = `reliability-${run}`;
  const proxy = await startIamProxy(context.motoEndpoint, {
    strict: true,
    seed: context.seed,
    recordParams: false,
  });
  const client = await connectClient(context.temporalAddress);
  const startWorker = () =>
    startWorkerProcess({ temporalAddress: context.temporalAddress, taskQueue, iamEndpoint: proxy.endpoint });
  let worker: WorkerProcess = await startWorker();
  try {
    const events = random.shuffle(singleDeliveries(run, size));
    say(context, `crash: ${events.length} events; the worker is killed ${size.kills} times`);
    // Accepted, not awaited: all events are in flight while the worker dies under them.
    const submitting = mapPool(events, 8, (event) =>
      submitDelivery(client, taskQueue, event, { wait: false, retryForMs: 60_000 }),
    );
    let kills = 0;
    for (; kills < size.kills; kills += 1) {
      await sleep(random.int(size.runMs.min, size.runMs.max));
      await worker.kill();
      say(context, `crash: worker killed (${kills + 1}/${size.kills})`);
      worker = await startWorker();
    }
    const accepted = await submitting;
    const outcomes = await finalOutcomes(client, events, size.settleMs);
    const verdict = await verifyStream(client, events, outcomes, context.motoEndpoint);
    return {
      scenario: 'worker crash',
      events: events.length,
      deliveries: accepted.length,
      faults: { 'worker SIGKILL': kills },
      outcomes: countBy([...outcomes.values()], (o) => o.outcome),
      iamCalls: proxy.totalRequests(),
      ...verdict,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await worker.stop();
    await client.connection.close();
    await proxy.close();
  }
}
