// The chaos scenario `consistency` at a small size: a stream of events while IAM's reads lag behind each
// write and some write answers are lost after IAM applied them. The lag is long enough that the events of
// a policy meet it on a busy machine too (each takes longer there, and the stale reads count must not
// come out 0).
import { testIamEndpoint, testTemporalAddress } from '../../harness/env';
import { seedFromEnvironment } from '../../harness/seeded-random';
import { consistency } from '../../harness/scenarios/consistency';
import { expectClean } from './report-check';

const seed = seedFromEnvironment();

test(`lagging reads and lost answers: every event ends, IAM is right, none failed or rejected (seed ${seed})`, async () => {
  const report = await consistency(
    { temporalAddress: testTemporalAddress(), motoEndpoint: testIamEndpoint(), seed },
    { policies: 6, eventsPerPolicy: 4, lagMs: 3_000, lostWriteRate: 0.05, concurrency: 6 },
  );
  expectClean(report);
  expect(report.faults['stale reads']).toBeGreaterThan(0);
  expect(report.outcomes.failed).toBeUndefined();
  expect(report.outcomes.rejected).toBeUndefined();
}, 300_000);
