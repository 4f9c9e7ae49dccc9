// Scenario 2: shuffled create/update/delete sequences per policy.
import { testIamEndpoint, testTemporalAddress } from '../../harness/env';
import { seedFromEnvironment } from '../../harness/seeded-random';
import { expectClean } from './report-check';
import { disorder } from '../../harness/scenarios/disorder';

const seed = seedFromEnvironment();

test(`shuffled sequences of 6 events over 10 policies end as the newest event says (seed ${seed})`, async () => {
  const report = await disorder(
    { temporalAddress: testTemporalAddress(), motoEndpoint: testIamEndpoint(), seed },
    { policies: 10, eventsPerPolicy: 6, concurrency: 6 },
  );
  expectClean(report);
  expect(report.events).toBe(60);
  // Shuffled, some events arrive after a newer one was applied: those are superseded, never applied.
  expect(report.outcomes.superseded).toBeGreaterThan(0);
  // Deletes were applied (or found the policy not there yet, when they came first).
  expect((report.outcomes.deleted ?? 0) + (report.outcomes.absent ?? 0)).toBeGreaterThan(0);
}, 300_000);
