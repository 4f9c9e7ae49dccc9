// `starter status` of an event stuck on IAM: besides `applying`, the attempt count and last error of
// the policy workflow's activity being retried.
import type { Client } from '@temporalio/client';
import { policyWorkflowId } from '../../src/domain/ids';
import { eventStatus } from '../../src/starter/event-status';

function stubClient(pendingActivities: unknown[]): Client {
  const eventHandle = {
    describe: () =>
      Promise.resolve({
        status: { name: 'RUNNING' },
        typedSearchAttributes: { get: () => 'reports-read' },
        startTime: new Date('2026-12-01T00:00:00Z'),
        staticSummary: () => Promise.resolve('delete reports-read from urn:test'),
      }),
  };
  const policyHandle = {
    query: () => Promise.resolve([{ source: 'urn:test', id: 'evt-1', state: 'applying' }]),
    describe: () => Promise.resolve({ raw: { pendingActivities } }),
  };
  return {
    workflow: {
      getHandle: (id: string) => (id === policyWorkflowId('reports-read') ? policyHandle : eventHandle),
    },
  } as unknown as Client;
}

test('an event whose IAM call is being retried shows the attempt and the last error', async () => {
  const status = await eventStatus(
    stubClient([
      {
        attempt: 4,
        activityType: { name: 'applyPolicyEvent' },
        lastFailure: { message: 'Throttling: Rate exceeded' },
      },
    ]),
    'urn:test',
    'evt-1',
  );
  expect(status).toEqual(
    expect.objectContaining({
      outcome: 'running',
      stage: 'applying',
      retrying: { activity: 'applyPolicyEvent', attempt: 4, lastError: 'Throttling: Rate exceeded' },
    }),
  );
});

test('a first attempt in progress is just applying', async () => {
  const status = await eventStatus(stubClient([{ attempt: 1 }]), 'urn:test', 'evt-1');
  expect(status.stage).toBe('applying');
  expect(status.retrying).toBeUndefined();
});
