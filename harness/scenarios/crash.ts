// Crash: the worker runs as its own process (src/worker.ts) and is SIGKILLed again and again while events
// are in flight, then started again: every other kill at a random moment, the others right after IAM
// applied one of the worker's writes (its answer never arrives). Every event still reaches its final
// outcome, with no duplicate policy and no extra or orphan version, and each outcome says what the event
// did (a write is never reported unchanged or absent).
import { DROP_CONNECTION, startIamProxy, type IamProxy } from '../iam-proxy';
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

const WRITES = ['CreatePolicy', 'CreatePolicyVersion', 'TagPolicy', 'DeletePolicy'];

/**
 * Kills the worker as soon as IAM applied the next write it sends (the answer is cut); false when no
 * write came within `waitMs` (then nothing was killed).
 */
function killAfterNextWrite(proxy: IamProxy, kill: () => Promise<void>, waitMs: number): Promise<boolean> {
  return new Promise((settle) => {
    let armed = true;
    const timer = setTimeout(() => {
      if (!armed) return;
      armed = false;
      settle(false);
    }, waitMs);
    for (const action of WRITES) {
      proxy.addRule({
        action,
        // Disarmed by the first write that matches: one kill.
        when: () => {
          if (!armed) return false;
          armed = false;
          return true;
        },
        times: 1,
        respond: async (_request, forward) => {
          clearTimeout(timer);
          await forward();
          await kill();
          settle(true);
          return DROP_CONNECTION;
        },
      });
    }
  });
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
    let afterWrite = 0;
    for (; kills < size.kills; kills += 1) {
      await sleep(random.int(size.runMs.min, size.runMs.max));
      const dying = worker;
      if (kills % 2 === 1 && (await killAfterNextWrite(proxy, () => dying.kill(), 30_000))) {
        afterWrite += 1;
        say(context, `crash: worker killed right after an IAM write (${kills + 1}/${size.kills})`);
      } else {
        await dying.kill();
        say(context, `crash: worker killed (${kills + 1}/${size.kills})`);
      }
      proxy.clearRules();
      worker = await startWorker();
    }
    const accepted = await submitting;
    const outcomes = await finalOutcomes(client, events, size.settleMs);
    const verdict = await verifyStream(client, events, outcomes, context.motoEndpoint);
    return {
      scenario: 'worker crash',
      events: events.length,
      deliveries: accepted.length,
      faults: { 'worker SIGKILL': kills, 'of them right after an IAM write': afterWrite },
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
