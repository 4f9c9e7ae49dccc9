// Scenario 3: the worker process is SIGKILLed repeatedly while ~100 events are in flight.
import { testIamEndpoint, testTemporalAddress } from '../../harness/env';
import { seedFromEnvironment } from '../../harness/seeded-random';
import { expectClean } from './report-check';
import { crash } from '../../harness/scenarios/crash';

const seed = seedFromEnvironment();

test(`100 events in flight, the worker SIGKILLed 3 times: every event ends, IAM is right (seed ${seed})`, async () => {
  const report = await crash(
    { temporalAddress: testTemporalAddress(), motoEndpoint: testIamEndpoint(), seed },
    { policies: 25, eventsPerPolicy: 4, kills: 3, runMs: { min: 1500, max: 4000 }, settleMs: 240_000 },
  );
  expectClean(report);
  expect(report.events).toBe(100);
  expect(report.faults['worker SIGKILL']).toBe(3);
  expect(report.outcomes.failed).toBeUndefined();
}, 480_000);
