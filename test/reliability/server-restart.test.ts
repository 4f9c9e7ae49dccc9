// Scenario 4: the Temporal server (SQLite-backed) is stopped and started again mid-stream.
import { testIamEndpoint, testTemporalAddress } from '../../harness/env';
import { seedFromEnvironment } from '../../harness/seeded-random';
import { expectClean } from './report-check';
import { serverRestart } from '../../harness/scenarios/server-restart';

const seed = seedFromEnvironment();

test(`the Temporal server restarts mid-stream: nothing is lost (seed ${seed})`, async () => {
  const report = await serverRestart(
    { temporalAddress: testTemporalAddress(), motoEndpoint: testIamEndpoint(), seed },
    { policies: 12, eventsPerPolicy: 4, downMs: 3000, settleMs: 180_000 },
  );
  expectClean(report);
  expect(report.events).toBe(48);
  expect(report.faults['server restarts']).toBe(1);
  expect(report.outcomes.failed).toBeUndefined();
}, 360_000);
