// Temporal killed or hung mid-stream while the starter (one outlasting the outage, one giving up),
// ingest and the SQS consumer carry events (harness/scenarios/temporal-outage.ts, small; npm run chaos
// runs it larger). On a dev server of its own, with short deadlines so the outage can be short. One test
// file per kind, so that jest runs them side by side.
import { testIamEndpoint, testTemporalAddress } from '../../harness/env';
import { seedFromEnvironment } from '../../harness/seeded-random';
import { temporalOutage } from '../../harness/scenarios/temporal-outage';
import { expectClean } from './report-check';

export function temporalOutageTest(kind: 'killed' | 'hung'): void {
  const seed = seedFromEnvironment();
  test(`Temporal ${kind} for 12 s mid-stream: every event through every source ends once, nothing dead-lettered (seed ${seed})`, async () => {
    const report = await temporalOutage(
      { temporalAddress: testTemporalAddress(), motoEndpoint: testIamEndpoint(), seed },
      {
        kind,
        policiesPerSource: 2,
        eventsPerPolicy: 3,
        downMs: 12_000,
        ingestTimeoutMs: 2000,
        shortRetryForS: 2,
        requestTimeoutS: 3,
        settleMs: 120_000,
      },
    );
    expectClean(report);
    expect(report.events).toBe(24);
    expect(report.faults).toMatchObject({ 'starter gave up': 1, 'worker restarts': 0 });
    expect(report.faults['HTTP 503']).toBeGreaterThan(0);
  }, 300_000);
}
