// Scenario 5: 30% throttling, 5% server errors, 2% lost answers and a 10-second outage of IAM.
import { testIamEndpoint, testTemporalAddress } from '../../harness/env';
import { seedFromEnvironment } from '../../harness/seeded-random';
import { expectClean } from './report-check';
import { iamFaults } from '../../harness/scenarios/iam-faults';

const seed = seedFromEnvironment();

test(`throttling, 5xx, lost answers and a 10 s outage: every event completes, none failed (seed ${seed})`, async () => {
  const report = await iamFaults(
    { temporalAddress: testTemporalAddress(), motoEndpoint: testIamEndpoint(), seed },
    {
      policies: 10,
      eventsPerPolicy: 4,
      faults: { throttleRate: 0.3, serverErrorRate: 0.05, dropRate: 0.02 },
      outageMs: 10_000,
      concurrency: 8,
    },
  );
  expectClean(report);
  // Drawn at random: ~30% and ~3.5% of some 150 calls (the proxy's own tests check each kind exactly).
  expect(report.faults.throttled + (report.faults['server-error'] ?? 0)).toBeGreaterThan(10);
  expect(report.faults.outage).toBeGreaterThan(0);
  expect(report.outcomes.failed).toBeUndefined();
}, 360_000);
