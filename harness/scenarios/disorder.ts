// Disorder: per policy, a run of creates, updates and deletes delivered shuffled (and spelled in any
// case). The end state is the newest event's; older events are superseded; a delete is never undone
// by an older upsert.
import {
  countBy,
  documentFor,
  finalOutcomes,
  mapPool,
  plannedDelete,
  type PlannedEvent,
  plannedUpsert,
  type ScenarioReport,
  submitDelivery,
  verifyStream,
} from '../scenario-runner';
import { randomCase, randomFor, runId, say, type ScenarioContext } from './context';
import { withProxiedService } from './proxied-service';
import type { SeededRandom } from '../seeded-random';

export interface DisorderSize {
  policies: number;
  eventsPerPolicy: number;
  /** Deliveries in flight at once. */
  concurrency: number;
}

/** Increasing sequence numbers with gaps; every other policy beyond 2^53, where only exact comparison works. */
function sequences(count: number, policy: number, random: SeededRandom): string[] {
  let next = policy % 2 === 0 ? 1n : 9007199254740990n;
  return Array.from({ length: count }, () => {
    next += BigInt(random.int(1, 3));
    return next.toString();
  });
}

export function disorderEvents(run: string, size: DisorderSize, random: SeededRandom): PlannedEvent[] {
  const source = `urn:reliability:${run}`;
  const events: PlannedEvent[] = [];
  for (let p = 0; p < size.policies; p += 1) {
    const name = `${run}-p${p}`;
    sequences(size.eventsPerPolicy, p, random).forEach((sequence, index) => {
      const id = `p${p}-e${index}`;
      const spelling = randomCase(name, random);
      // A third of the policies end with a delete, so a late older upsert would wrongly bring them back.
      const isLast = index === size.eventsPerPolicy - 1;
      const remove = isLast ? p % 3 === 0 : index > 0 && random.chance(0.3);
      events.push(
        remove
          ? plannedDelete(source, id, spelling, sequence)
          : plannedUpsert(source, id, spelling, sequence, documentFor(name.toLowerCase(), random.int(1, 4))),
      );
    });
  }
  return events;
}

export async function disorder(context: ScenarioContext, size: DisorderSize): Promise<ScenarioReport> {
  const started = Date.now();
  const run = runId(context, 'disorder');
  const random = randomFor(context, 2);
  return withProxiedService(context, {}, async (proxy, service) => {
    const events = disorderEvents(run, size, random);
    const shuffled = random.shuffle(events);
    say(context, `disorder: ${events.length} events over ${size.policies} policies, shuffled`);
    const reports = await mapPool(shuffled, size.concurrency, (event) =>
      submitDelivery(service.client, service.taskQueue, event, { wait: true }),
    );
    const outcomes = await finalOutcomes(service.client, events, 60_000);
    const problems: string[] = [];
    shuffled.forEach((event, index) => {
      const final = outcomes.get(event.workflowId)?.outcome;
      if (reports[index].outcome !== final)
        problems.push(`${event.id}: starter said ${reports[index].outcome}, workflow ${final}`);
    });
    const verdict = await verifyStream(service.client, events, outcomes, context.motoEndpoint);
    return {
      scenario: 'disorder',
      events: events.length,
      deliveries: events.length,
      faults: { 'shuffled deliveries': events.length },
      outcomes: countBy(reports, (r) => r.outcome),
      iamCalls: proxy.totalRequests(),
      lost: verdict.lost,
      wrongFinalStates: verdict.wrongFinalStates,
      problems: [...problems, ...verdict.problems],
      seconds: (Date.now() - started) / 1000,
    };
  });
}
