// Scenario 1: a duplicate storm through three starter CLI processes at once, against the strict IAM proxy.
import { testIamEndpoint, testTemporalAddress } from '../../harness/env';
import { seedFromEnvironment } from '../../harness/seeded-random';
import { expectClean } from './report-check';
import { duplicateStorm } from '../../harness/scenarios/storm';

const seed = seedFromEnvironment();

test(`60 events over 12 policies, each delivered 3-5 times by 3 starter processes: one processed, the rest duplicate (seed ${seed})`, async () => {
  const report = await duplicateStorm(
    { temporalAddress: testTemporalAddress(), motoEndpoint: testIamEndpoint(), seed },
    { policies: 12, eventsPerPolicy: 5, minCopies: 3, maxCopies: 5, submitters: 3 },
  );
  expectClean(report);
  expect(report.events).toBe(60);
  expect(report.deliveries).toBeGreaterThanOrEqual(180);
  expect(report.outcomes.duplicate).toBe(report.deliveries - report.events);
  // Every delivery ended in a final outcome: none was only accepted, failed, rejected or a conflict.
  expect(Object.keys(report.outcomes).sort()).toEqual(expect.arrayContaining(['created', 'duplicate']));
  for (const outcome of ['accepted', 'failed', 'rejected', 'conflict'])
    expect(report.outcomes[outcome]).toBeUndefined();
}, 300_000);
