// Scenario 5: 15% throttling, 5% server errors, 2% lost answers and a 10-second outage of IAM (npm run
// chaos throttles 30%). Throttling drawn at random, whatever the rate, keeps the IAM client's adaptive
// retry mode slowing down: at 30% this file took from 35 s to 250 s.
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
      faults: { throttleRate: 0.15, serverErrorRate: 0.05, dropRate: 0.02 },
      outageMs: 10_000,
      concurrency: 8,
    },
  );
  expectClean(report);
  // Drawn at random, of the 40-60 calls made while the faults are on (superseded and coalesced events
  // make none): 5-15 throttled or 5xx in a run, never none (the proxy's own tests check each kind exactly).
  expect((report.faults.throttled ?? 0) + (report.faults['server-error'] ?? 0)).toBeGreaterThan(0);
  expect(report.faults.outage).toBeGreaterThan(0);
  expect(report.outcomes.failed).toBeUndefined();
}, 360_000);
