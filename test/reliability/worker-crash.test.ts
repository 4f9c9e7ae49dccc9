// Scenario 3: the worker process is SIGKILLed repeatedly while ~100 events are in flight. On a dev
// server of its own: requests cut off by a kill can leave the dev server's in-memory SQLite connection
// failing every later query ("interrupted (9)"), which would take every other test file down with it.
import { testIamEndpoint } from '../../harness/env';
import { seedFromEnvironment } from '../../harness/seeded-random';
import { startTemporal, type RunningServer } from '../../harness/servers';
import { expectClean } from './report-check';
import { crash } from '../../harness/scenarios/crash';

const seed = seedFromEnvironment();
let temporal: RunningServer | undefined;
afterAll(async () => {
  await temporal?.stop();
});

test(`100 events in flight, the worker SIGKILLed 3 times (once right after a write): every event ends, IAM is right, every outcome says what its event did (seed ${seed})`, async () => {
  temporal = await startTemporal();
  const report = await crash(
    { temporalAddress: temporal.address, motoEndpoint: testIamEndpoint(), seed },
    { policies: 25, eventsPerPolicy: 4, kills: 3, runMs: { min: 1500, max: 4000 }, settleMs: 240_000 },
  );
  expectClean(report);
  expect(report.events).toBe(100);
  expect(report.faults['worker SIGKILL']).toBe(3);
  // The second kill comes right after IAM applied one of the worker's writes.
  expect(report.faults['of them right after an IAM write']).toBe(1);
  expect(report.outcomes.failed).toBeUndefined();
}, 480_000);
