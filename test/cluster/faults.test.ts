// The service with two worker processes on a real cluster (PostgreSQL, four server services): a mixed
// stream with redeliveries and bursts through a worker kill -9, a history-service kill -9 and restart,
// and a restart of the whole cluster (harness/scenarios/cluster-faults.ts). Every write IAM applied must
// be reported by the event that made it as created/updated/deleted: not hidden behind unchanged or
// absent, not left to an event that ends superseded (the write is recorded in history before it is
// made, so a lost result is redone and reported), and never reported by nothing.
import { clusterIamEndpoint, testCluster } from '../helpers/cluster-env';
import { clusterFaults } from '../../harness/scenarios/cluster-faults';
import { seedFromEnvironment } from '../../harness/seeded-random';

const seed = seedFromEnvironment();

test(`two workers through worker -9, history -9 and a cluster restart: one outcome each, IAM right, no write hidden (seed ${seed})`, async () => {
  const cluster = await testCluster();
  const report = await clusterFaults(
    {
      cluster,
      temporalAddress: cluster.address,
      motoEndpoint: clusterIamEndpoint(),
      seed,
      log: (line) => process.stderr.write(`${line}\n`),
    },
    { policies: 16, eventsPerPolicy: 6, redeliveryRate: 0.2, burstPolicies: 3, settleMs: 180_000 },
  );
  process.stderr.write(
    `cluster faults: ${JSON.stringify({ ...report, problems: report.problems.length })}\n`,
  );
  expect({
    lost: report.lost,
    wrongFinalStates: report.wrongFinalStates,
    problems: report.problems.slice(0, 20),
    overlaps: report.overlaps.slice(0, 10),
    unreported: report.unreported.slice(0, 20),
    supersededAfterWrite: report.supersededAfterWrite.slice(0, 20),
  }).toEqual({
    lost: 0,
    wrongFinalStates: 0,
    problems: [],
    overlaps: [],
    unreported: [],
    supersededAfterWrite: [],
  });
  expect(report.events).toBe(96);
  expect(report.faults).toMatchObject({
    'worker SIGKILL after a write': 1,
    'history SIGKILL after a write': 1,
    'cluster restarts': 1,
  });
  expect(report.outcomes.failed).toBeUndefined();
  // Both workers carried the stream.
  expect(Object.keys(report.writesByWorker).sort()).toEqual(['a', 'b']);
}, 420_000);
