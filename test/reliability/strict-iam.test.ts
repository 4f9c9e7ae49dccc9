// The key end-to-end cases again, with the real worker talking to the strict IAM proxy instead of
// plain moto: IAM's URL-encoded documents, DeleteConflict, boundaries, case-insensitive names and
// size limits are then enforced the way real IAM does, and the proxy counts every call.
import { CreatePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { documentsEqual } from '../../src/domain/document';
import { eventWorkflowId, payloadHash } from '../../src/temporal/event-identity';
import type { PolicyEvent } from '../../src/domain/types';
import { submitEvent, type SubmitReport } from '../../src/starter/submit';
import type { eventWorkflow } from '../../src/workflows/event-workflow';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import {
  defaultDocument,
  deleteEvent,
  documentAllowing,
  policiesNamed,
  upsertEvent,
  versionsOf,
} from '../../harness/events';
import { directIam } from '../../harness/scenario-runner';
import { startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { seedFromEnvironment } from '../../harness/seeded-random';
import { startService, type RunningService } from '../../harness/service';
import { expectClean } from './report-check';
import { attachedAndBoundary } from '../../harness/scenarios/attached';

let proxy: IamProxy;
let service: RunningService;
/** moto itself, to check what the service left behind. */
let moto: IAMClient;

beforeAll(async () => {
  proxy = await startIamProxy(testIamEndpoint(), { strict: true });
  service = await startService({ iamEndpoint: proxy.endpoint });
  moto = directIam(testIamEndpoint());
});

afterAll(async () => {
  await service?.stop();
  await proxy?.close();
});

beforeEach(() => proxy.clearRequests());

const submit = (event: unknown): Promise<SubmitReport> => submitEvent(event, service.submitOptions());

const writes = () => proxy.actions().filter((action) => /^(Create|Delete|Set|Tag|Untag)/.test(action));

test('attached and boundary policies: retained-in-use with no version deleted; after release a newer delete deletes', async () => {
  const report = await attachedAndBoundary({
    temporalAddress: testTemporalAddress(),
    motoEndpoint: testIamEndpoint(),
    seed: seedFromEnvironment(),
  });
  expectClean(report);
  expect(report.outcomes).toEqual({ created: 6, updated: 6, 'retained-in-use': 6, deleted: 6 });
}, 240_000);

test('URL-encoded documents compare equal: a reordered repeat is unchanged and writes nothing', async () => {
  const name = `strict-enc-${uniqueSuffix()}`;
  const document = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: 'arn:aws:s3:::bucket/a b+c/*',
        Condition: { StringEquals: { 'aws:PrincipalTag/team': "R&D <ops> 100% 'x'" } },
      },
    ],
  };
  expect((await submit(upsertEvent(name, { sequence: 1, document }))).outcome).toBe('created');
  const reordered = {
    Statement: [{ ...document.Statement[0], Action: ['s3:ListBucket', 's3:GetObject'] }],
    Version: '2012-10-17',
  };
  proxy.clearRequests();
  expect((await submit(upsertEvent(name, { sequence: 2, document: reordered }))).outcome).toBe('unchanged');
  expect(proxy.count('GetPolicyVersion')).toBeGreaterThan(0);
  expect(writes()).toEqual([]);
});

test('an update of a policy with other versions, then its delete: versions first, so IAM never refuses', async () => {
  const name = `strict-del-${uniqueSuffix()}`;
  for (let sequence = 1; sequence <= 7; sequence += 1) {
    const report = await submit(
      upsertEvent(name, { sequence, document: documentAllowing([`s3:Action${sequence}`]) }),
    );
    expect(report.outcome).toBe(sequence === 1 ? 'created' : 'updated');
  }
  const [policy] = await policiesNamed(moto, name);
  // Never more than five versions: the oldest are pruned (v1 and v2 are gone).
  expect((await versionsOf(moto, policy.Arn!)).map((v) => v.VersionId).sort()).toEqual([
    'v3',
    'v4',
    'v5',
    'v6',
    'v7',
  ]);
  proxy.clearRequests();
  const deleted = await submit(deleteEvent(name, { sequence: 8 }));
  expect(deleted.outcome).toBe('deleted');
  expect(writes()).toEqual([
    'DeletePolicyVersion',
    'DeletePolicyVersion',
    'DeletePolicyVersion',
    'DeletePolicyVersion',
    'DeletePolicy',
  ]);
  expect(await policiesNamed(moto, name)).toHaveLength(0);
});

test('names in another case are one policy; a foreign policy with the name in another case is never touched', async () => {
  const suffix = uniqueSuffix();
  const upper = `Strict-Case-${suffix}`;
  expect((await submit(upsertEvent(upper, { sequence: 1 }))).outcome).toBe('created');
  const lower = await submit(
    upsertEvent(upper.toLowerCase(), { sequence: 2, document: documentAllowing(['s3:PutObject']) }),
  );
  expect(lower.outcome).toBe('updated');
  expect((await policiesNamed(moto, upper)).map((p) => p.PolicyName)).toEqual([upper]);

  const foreign = `Foreign-Case-${suffix}`;
  await moto.send(
    new CreatePolicyCommand({
      PolicyName: foreign,
      Path: '/other/',
      PolicyDocument: JSON.stringify(documentAllowing(['s3:GetObject'])),
    }),
  );
  proxy.clearRequests();
  const other = await submit(
    upsertEvent(foreign.toUpperCase(), { sequence: 1, document: documentAllowing(['s3:*']) }),
  );
  expect(other.outcome).toBe('rejected');
  expect(other.reason).toMatch(/not managed by this service/);
  expect(writes()).toEqual([]);
  const [kept] = await policiesNamed(moto, foreign);
  expect(documentsEqual(await defaultDocument(moto, kept.Arn!), documentAllowing(['s3:GetObject']))).toBe(
    true,
  );
});

test('a document over 6,144 characters is rejected before any write, by the starter and by the worker', async () => {
  const name = `strict-big-${uniqueSuffix()}`;
  const big = documentAllowing(
    Array.from({ length: 500 }, (_, i) => `s3:GetObject${String(i).padStart(6, '0')}`),
  );
  const viaStarter = await submit(upsertEvent(name, { sequence: 1, document: big }));
  expect(viaStarter.outcome).toBe('rejected');
  expect(viaStarter.reason).toMatch(/6144/);
  // Anything can start an event workflow: the worker checks the size itself, before IAM would refuse it.
  const event: PolicyEvent = {
    source: 'urn:test:direct',
    id: `big-${uniqueSuffix()}`,
    type: 'iam.policy.upsert',
    policyName: name,
    path: '/',
    sequence: '1',
    document: big,
  };
  const handle = await service.client.workflow.start<typeof eventWorkflow>('eventWorkflow', {
    workflowId: eventWorkflowId(event.source, event.id),
    taskQueue: service.taskQueue,
    args: [{ event, payloadHash: payloadHash(event) }],
    memo: { payloadHash: payloadHash(event) },
  });
  const result = await handle.result();
  expect(result.outcome).toBe('rejected');
  expect(result.reason).toMatch(/6144/);
  expect(proxy.count('CreatePolicy')).toBe(0);
  expect(await policiesNamed(moto, name)).toHaveLength(0);
});

test('a document the guardrails forbid is rejected by the worker, naming the rule, before any write', async () => {
  const name = `strict-guard-${uniqueSuffix()}`;
  const report = await submit(
    upsertEvent(name, { sequence: 1, document: documentAllowing(['iam:PassRole']) }),
  );
  expect(report.outcome).toBe('rejected');
  expect(report.reason).toMatch(/guardrail no-pass-any-role/);
  expect(writes()).toEqual([]);
  expect(await policiesNamed(moto, name)).toHaveLength(0);
});

test('an update with another description: new version, and the immutable-description note once', async () => {
  const name = `strict-note-${uniqueSuffix()}`;
  const withDescription = (event: Record<string, unknown>, description: string) => ({
    ...event,
    data: { ...(event.data as Record<string, unknown>), description },
  });
  expect((await submit(withDescription(upsertEvent(name, { sequence: 1 }), 'first'))).outcome).toBe(
    'created',
  );
  const changed = await submit(
    withDescription(
      upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:PutObject']) }),
      'second',
    ),
  );
  expect(changed.outcome).toBe('updated');
  expect(changed.result?.notes).toEqual([expect.stringContaining('IAM policy descriptions are immutable')]);
});
