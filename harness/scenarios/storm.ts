// Duplicate storm: every event delivered several times by several starter processes at once, each in
// its own order. Exactly one delivery of each event is processed; the others report `duplicate`.
import {
  countBy,
  documentFor,
  finalOutcomes,
  plannedDelete,
  type PlannedEvent,
  plannedUpsert,
  runStarterCli,
  type ScenarioReport,
  verifyStream,
} from '../scenario-runner';
import { randomFor, runId, say, type ScenarioContext } from './context';
import { withProxiedService } from './proxied-service';

export interface StormSize {
  policies: number;
  eventsPerPolicy: number;
  minCopies: number;
  maxCopies: number;
  /** Starter CLI processes submitting at once. */
  submitters: number;
}

/** One delivery of each event, one submitter: the stream the crash, restart and fault scenarios replay. */
export function singleDeliveries(
  run: string,
  size: Pick<StormSize, 'policies' | 'eventsPerPolicy'>,
): PlannedEvent[] {
  return stormEvents(run, { ...size, minCopies: 1, maxCopies: 1, submitters: 1 });
}

export function stormEvents(run: string, size: StormSize): PlannedEvent[] {
  const source = `urn:reliability:${run}`;
  const events: PlannedEvent[] = [];
  for (let p = 0; p < size.policies; p += 1) {
    const name = `${run}-p${p}`;
    for (let s = 1; s <= size.eventsPerPolicy; s += 1) {
      const id = `p${p}-s${s}`;
      // Every fourth policy ends deleted; content changes every second event, so some upserts repeat it.
      if (p % 4 === 3 && s === size.eventsPerPolicy) events.push(plannedDelete(source, id, name, String(s)));
      else events.push(plannedUpsert(source, id, name, String(s), documentFor(name, Math.ceil(s / 2))));
    }
  }
  return events;
}

export async function duplicateStorm(context: ScenarioContext, size: StormSize): Promise<ScenarioReport> {
  const started = Date.now();
  const run = runId(context, 'storm');
  const random = randomFor(context, 1);
  return withProxiedService(context, {}, async (proxy, service) => {
    const events = stormEvents(run, size);
    const perSubmitter: string[][] = Array.from({ length: size.submitters }, () => []);
    let deliveries = 0;
    for (const event of events) {
      const copies = random.int(size.minCopies, size.maxCopies);
      const first = random.int(0, size.submitters - 1);
      for (let copy = 0; copy < copies; copy += 1) {
        perSubmitter[(first + copy) % size.submitters].push(JSON.stringify(event.raw));
      }
      deliveries += copies;
    }
    say(
      context,
      `storm: ${events.length} events, ${deliveries} deliveries by ${size.submitters} starter processes`,
    );
    const env = { TEMPORAL_ADDRESS: context.temporalAddress, TEMPORAL_TASK_QUEUE: service.taskQueue };
    const runs = await Promise.all(
      perSubmitter.map((lines) =>
        runStarterCli(random.shuffle(lines), env, ['--wait', '--concurrency', '16']),
      ),
    );

    const problems: string[] = [];
    const reports = runs.flatMap((r) => r.reports);
    runs.forEach((r, index) => {
      if (r.code !== 0 || r.timedOut)
        problems.push(
          `starter ${index} exited ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.slice(0, 300)}`,
        );
      if (r.reports.length !== perSubmitter[index].length) {
        problems.push(
          `starter ${index} printed ${r.reports.length} lines for ${perSubmitter[index].length} deliveries`,
        );
      }
    });
    const outcomes = await finalOutcomes(service.client, events, 120_000);
    for (const event of events) {
      const mine = reports.filter((r) => r.source === event.source && r.id === event.id);
      const processed = mine.filter((r) => r.outcome !== 'duplicate');
      if (processed.length !== 1) {
        problems.push(
          `${event.id}: ${processed.length} deliveries processed (${mine.map((r) => String(r.outcome)).join(', ')})`,
        );
        continue;
      }
      const final = outcomes.get(event.workflowId)?.outcome;
      if (processed[0].outcome !== final)
        problems.push(`${event.id}: starter said ${String(processed[0].outcome)}, workflow ${final}`);
      for (const duplicate of mine.filter((r) => r.outcome === 'duplicate')) {
        if (duplicate.firstOutcome !== undefined && duplicate.firstOutcome !== final) {
          problems.push(
            `${event.id}: a duplicate reported firstOutcome ${JSON.stringify(duplicate.firstOutcome)}, not ${final}`,
          );
        }
      }
    }
    const verdict = await verifyStream(service.client, events, outcomes, context.motoEndpoint);
    // Versions only for real content changes: one write at most per event that changed something.
    const changes = [...outcomes.values()].filter(
      (o) => o.outcome === 'created' || o.outcome === 'updated',
    ).length;
    const writes =
      proxy.count('CreatePolicy') +
      proxy.count('CreatePolicyVersion') +
      proxy.count('SetDefaultPolicyVersion');
    if (writes > changes) problems.push(`${writes} policy or version writes for ${changes} changes`);
    return {
      scenario: 'duplicate storm',
      events: events.length,
      deliveries,
      faults: { 'concurrent submitters': size.submitters },
      outcomes: countBy(reports, (r) => String(r.outcome)),
      iamCalls: proxy.totalRequests(),
      lost: verdict.lost,
      wrongFinalStates: verdict.wrongFinalStates,
      problems: [...problems, ...verdict.problems],
      seconds: (Date.now() - started) / 1000,
    };
  });
}
