// The `failed` path as the README promises it: IAM refuses the request (AccessDenied), the event ends
// `failed` (its workflow failed, Outcome "failed", the starter exits 1), and resubmitting the same event
// once the permission is granted applies it. Real worker, dev server and moto behind the IAM proxy.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import { OUTCOME } from '../../src/messages/search-attributes';
import { runCli } from '../../harness/cli';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { policiesNamed, SOURCE, upsertEvent } from '../../harness/events';
import { iamErrorResponse, startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { startService, type RunningService } from '../../harness/service';

let proxy: IamProxy;
let service: RunningService;
let env: Record<string, string>;

beforeAll(async () => {
  proxy = await startIamProxy(testIamEndpoint(), { strict: true });
  service = await startService({ iamEndpoint: proxy.endpoint });
  env = { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE: service.taskQueue };
});

afterAll(async () => {
  await service?.stop();
  await proxy?.close();
});

test('AccessDenied ends the event failed (workflow failed, Outcome "failed", exit 1); a resubmission applies it', async () => {
  const name = `e2e-denied-${uniqueSuffix()}`;
  proxy.addRule({
    action: 'CreatePolicy',
    when: (params) => params.PolicyName === name,
    respond: () =>
      iamErrorResponse('AccessDenied', `User is not authorized to perform: iam:CreatePolicy on ${name}`, 403),
  });
  const event = upsertEvent(name, { sequence: 1 });
  const file = join(tmpdir(), `${name}.ndjson`);
  writeFileSync(file, `${JSON.stringify(event)}\n`);

  const denied = await runCli('src/starter.ts', ['submit', file, '--wait'], { env });
  expect(denied.code).toBe(1);
  expect(denied.lines()).toEqual([
    expect.objectContaining({
      id: event.id,
      outcome: 'failed',
      reason: expect.stringMatching(/not authorized/),
    }),
  ]);
  // Not retried: AccessDenied is a refusal, not a transient error.
  expect(proxy.count('CreatePolicy')).toBeLessThanOrEqual(2);

  const workflowId = eventWorkflowId(SOURCE, String(event.id));
  const described = await service.client.workflow.getHandle(workflowId).describe();
  expect(described.status.name).toBe('FAILED');
  expect(described.typedSearchAttributes.get(OUTCOME)).toBe('failed');
  expect(await policiesNamed(service.iam, name)).toEqual([]);

  // The permission is granted; the same event (same source and id) is submitted again.
  proxy.clearRules();
  const retried = await runCli('src/starter.ts', ['submit', file, '--wait'], { env });
  expect(retried.code).toBe(0);
  expect(retried.lines()).toEqual([expect.objectContaining({ id: event.id, outcome: 'created' })]);
  expect(await policiesNamed(service.iam, name)).toHaveLength(1);
  const latest = await service.client.workflow.getHandle(workflowId).describe();
  expect(latest.runId).not.toBe(described.runId);
  expect(latest.status.name).toBe('COMPLETED');

  // Completed now: a third delivery is a duplicate, not a third run.
  const again = await runCli('src/starter.ts', ['submit', file, '--wait'], { env });
  expect(again.code).toBe(0);
  expect(again.lines()).toEqual([expect.objectContaining({ outcome: 'duplicate', firstOutcome: 'created' })]);
});
