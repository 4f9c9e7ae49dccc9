// IAM calls per event by outcome, measured: phases in which every event has the same outcome, run one
// after another on one worker; the proxy's counts between the start and the end of a phase (no other
// work runs meanwhile) divided by the phase's events.
import {
  closeWindow,
  measureWindow,
  openWindow,
  recordedItems,
  type ActionsMeasured,
  type Window,
} from '../action-meter';
import { callsBetween, type CallCounts } from '../counting-proxy';
import { countHistories } from '../history';
import { drive } from '../driver';
import { log } from '../progress';
import { MANAGED_BY, startWorker } from '../service-run';
import { countBy, round } from '../stats';
import { eventFactory, eventKey, policyNames, type BenchEvent } from '../stream';
import { taskQueueFor, type ScenarioContext } from './context';

export interface PhaseResult {
  phase: string;
  expected: string;
  events: number;
  outcomes: Record<string, number>;
  calls: CallCounts;
  perEvent: { total: number; reads: number; writes: number };
  /** IAM actions per event, e.g. { GetPolicy: 1, GetPolicyVersion: 1 }. */
  actionsPerEvent: Record<string, number>;
  /** Temporal Cloud Actions of the phase, both ways. */
  temporalActions?: ActionsMeasured;
}

interface Phase {
  phase: string;
  expected: string;
  /** Measured phases count; preparation phases only bring the policies to the state the next needs. */
  measured: boolean;
  events: Record<string, unknown>[];
}

function phases(context: ScenarioContext): Phase[] {
  const prefix = `b${context.runId}-out`;
  const names = policyNames(prefix, context.options.phaseEvents);
  const factory = eventFactory(prefix);
  const creates = names.map((name) => factory.upsert(name, 1));
  const list: Phase[] = [
    { phase: 'created', expected: 'created', measured: true, events: creates },
    { phase: 'duplicate', expected: 'duplicate', measured: true, events: creates },
    {
      phase: 'unchanged',
      expected: 'unchanged',
      measured: true,
      events: names.map((name) => factory.upsert(name, 1)),
    },
    {
      phase: 'updated',
      expected: 'updated',
      measured: true,
      events: names.map((name) => factory.upsert(name, 2)),
    },
  ];
  // Three more versions: the policies then hold the maximum of five.
  for (const variant of [3, 4, 5]) {
    list.push({
      phase: `prepare v${variant}`,
      expected: 'updated',
      measured: false,
      events: names.map((name) => factory.upsert(name, variant)),
    });
  }
  const latest = names.map((name) => factory.upsert(name, 6));
  list.push(
    { phase: 'updated (5 versions: prune first)', expected: 'updated', measured: true, events: latest },
    {
      phase: 'superseded (stale replay)',
      expected: 'superseded',
      // A new event ID at the position of one already applied: older than the policy's last event.
      measured: true,
      events: creates.map((raw) => ({ ...raw, id: `${String(raw.id)}-replay` })),
    },
    {
      phase: 'deleted',
      expected: 'deleted',
      measured: true,
      events: names.map((name) => factory.delete(name)),
    },
    {
      phase: 'absent',
      expected: 'absent',
      measured: true,
      events: names.map((name) => factory.delete(name)),
    },
  );
  return list;
}

export async function runOutcomesScenario(context: ScenarioContext): Promise<PhaseResult[]> {
  const { env, options } = context;
  await env.resetIam();
  const taskQueue = taskQueueFor(context, 'outcomes');
  log(`[outcomes] starting a worker on task queue ${taskQueue}`);
  const worker = await startWorker(env, taskQueue, context.worker);
  const results: PhaseResult[] = [];
  const windows: Window[] = [];
  const eventWorkflows = new Set<string>();
  try {
    for (const phase of phases(context)) {
      const events: BenchEvent[] = phase.events.map((raw) => ({
        raw,
        key: eventKey(raw),
        policyName: String((raw.data as { policyName: string }).policyName),
        kind: 'update',
      }));
      for (const event of events) eventWorkflows.add(event.key);
      const window = await openWindow(env);
      const before = env.proxy.snapshot();
      const timings = await Promise.race([
        worker.crashed,
        drive(events, {
          client: env.client,
          taskQueue,
          rate: 0,
          concurrency: options.concurrency,
          reservedTagKeys: [MANAGED_BY.key],
        }),
      ]);
      const calls = callsBetween(before, env.proxy.snapshot());
      windows.push(await closeWindow(env, window));
      const outcomes = countBy(timings, (t) => t.outcome);
      if ((outcomes[phase.expected] ?? 0) !== events.length) {
        log(
          `[outcomes] ${phase.phase}: expected every event ${phase.expected}, got ${JSON.stringify(outcomes)}`,
        );
      }
      if (!phase.measured) {
        windows.pop();
        continue;
      }
      const n = events.length;
      results.push({
        phase: phase.phase,
        expected: phase.expected,
        events: n,
        outcomes,
        calls,
        perEvent: {
          total: round(calls.total / n, 3),
          reads: round(calls.reads / n, 3),
          writes: round(calls.writes / n, 3),
        },
        actionsPerEvent: Object.fromEntries(
          Object.entries(calls.byAction).map(([action, count]) => [action, round(count / n, 3)]),
        ),
      });
      log(
        `[outcomes] ${phase.phase}: ${round(calls.total / n, 2)} IAM calls per event ${JSON.stringify(calls.byAction)}`,
      );
    }
    // Phases follow one another with the counter settled in between, so each history event belongs to
    // the phase whose stretch of time it falls in (policy workflows serve every phase).
    const { executions } = await countHistories(env.client, taskQueue, eventWorkflows.size);
    const recorded = await recordedItems(env.client, executions);
    for (const [index, result] of results.entries()) {
      result.temporalActions = measureWindow(recorded, windows[index], result.events);
      const actions = result.temporalActions;
      log(
        `[outcomes] ${result.phase}: ${actions.perEvent.history} Actions per event from histories, ` +
          `${actions.perEvent.server ?? '-'} from the server's counter`,
      );
    }
  } finally {
    await worker.stop();
  }
  return results;
}
