// What the policy workflow's history keeps of each observation: the verdicts the decision needs (the
// document IAM has matches the event's or not, the guardrails the event's document breaks), not the
// worker's guardrails and the document (src/domain/observation-record.ts). Real worker, dev server, moto.
import { policyWorkflowId } from '../../src/domain/ids';
import { submitEvent } from '../../src/starter/submit';
import type { PolicyObservation } from '../../src/domain/decide';
import { uniqueSuffix } from '../../harness/env';
import { deleteEvent, upsertEvent } from '../../harness/events';
import { historyOf, localActivityResults } from '../../harness/history';
import { proxiedServices } from '../helpers/proxied-services';
import { loadCorpus } from '../fixtures/corpus/corpus';

const services = proxiedServices();

test('observations are recorded as verdicts: no document, no guardrails, and the same outcomes', async () => {
  const service = await services.serviceWith();
  const options = { ...service.submitOptions(), wait: true };
  const name = `record-${uniqueSuffix()}`;
  // Two real documents of some size (several kilobytes each), the second reformatted the same.
  const [first, second] = loadCorpus()
    .filter((entry) => JSON.stringify(entry.document).length > 2_000)
    .slice(0, 2)
    .map((entry) => entry.document);
  const outcomes = [];
  for (const event of [
    upsertEvent(name, { sequence: 1, document: first }),
    upsertEvent(name, { sequence: 2, document: second }),
    upsertEvent(name, { sequence: 3, document: JSON.parse(JSON.stringify(second)) as object }),
    upsertEvent(name, {
      sequence: 4,
      document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    }),
    deleteEvent(name, { sequence: 5 }),
  ]) {
    outcomes.push((await submitEvent(event, options)).outcome);
  }
  expect(outcomes).toEqual(['created', 'updated', 'unchanged', 'rejected', 'deleted']);

  const observations = localActivityResults(await historyOf(service.client, policyWorkflowId(name)))
    .filter((marker) => marker.type === 'inspectPolicy')
    .map((marker) => ({
      size: marker.json.length,
      observation: JSON.parse(marker.json) as PolicyObservation,
    }));
  expect(observations).toHaveLength(5);
  for (const { size, observation } of observations) {
    expect(observation.guards).not.toHaveProperty('guardrails');
    if (observation.exists) expect(observation.policy).not.toHaveProperty('document');
    // A few hundred bytes; a document that breaks rules adds what each breach is.
    const breaches = 'violations' in observation.guards ? observation.guards.violations.length : 0;
    expect(size).toBeLessThan(700 + 250 * breaches);
  }
  const policies = observations.flatMap(({ observation }) =>
    observation.exists ? [observation.policy] : [],
  );
  // The update, the repeat and the forbidden one compared with the document IAM had; the delete did not.
  expect(policies.map((policy) => policy.documentMatches)).toEqual([false, true, false, undefined]);
  expect(observations[3].observation.guards).toMatchObject({
    violations: expect.arrayContaining([expect.objectContaining({ rule: 'no-full-admin' })]),
  });
});
