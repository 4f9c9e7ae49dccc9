// The audit record end to end: the real worker on the dev server, IAM through the strict proxy in front of
// moto. Each version the service makes carries a tag naming the event that made it, readable in IAM alone
// and listed by `starter policy NAME --history`; the tags are the service's own, never drift.
import {
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  TagPolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import type { PolicyHistory } from '../../src/starter/policy-history';
import { runDriftCheck } from '../../src/starter/drift-check';
import { submitEvent } from '../../src/starter/submit';
import { eventDigest } from '../../src/temporal/event-identity';
import { motoEnvironment, runCli } from '../../harness/cli';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { documentAllowing, policyArn, SOURCE, upsertEvent, versionsOf } from '../../harness/events';
import { startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { directIam } from '../../harness/scenario-runner';
import { startService, type RunningService } from '../../harness/service';

let proxy: IamProxy;
let service: RunningService;
/** moto itself: what an IAM user sees, and the hand that changes IAM behind the service's back. */
let moto: IAMClient;
let env: Record<string, string>;

beforeAll(async () => {
  proxy = await startIamProxy(testIamEndpoint(), { strict: true });
  service = await startService({
    iamEndpoint: proxy.endpoint,
    // A version made by hand comes right after the service's writes here.
    guards: { ...DEFAULT_POLICY_GUARDS, consistencyWaitMs: 1000 },
  });
  moto = directIam(testIamEndpoint());
  env = {
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: service.taskQueue,
    ...motoEnvironment(proxy.endpoint),
  };
});

afterAll(async () => {
  await service?.stop();
  await proxy?.close();
});

const starter = (args: string[]) => runCli('src/starter.ts', args, { env });

async function apply(event: Record<string, unknown>) {
  const report = await submitEvent(event, service.submitOptions());
  return report.result;
}

/** The policy's tags as IAM (moto) holds them. */
async function tagsOf(name: string, path = '/'): Promise<Record<string, string>> {
  const { Policy } = await moto.send(new GetPolicyCommand({ PolicyArn: policyArn(name, path) }));
  return Object.fromEntries((Policy?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

function auditTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => key.startsWith('iam-policy-events:')));
}

test('a create and two updates leave tags naming their events, listed by starter policy --history', async () => {
  const path = `/audit-${uniqueSuffix()}/`;
  const name = `audit-${uniqueSuffix()}`;
  const first = upsertEvent(name, { sequence: 1, path, tags: { team: 'a' } });
  const second = upsertEvent(name, {
    sequence: 2,
    path,
    tags: { team: 'a' },
    document: documentAllowing(['s3:*']),
  });
  // A source that is no valid tag value ('?' and '&'): the tag holds the pair's digest.
  const third: Record<string, unknown> & { source: string; id: string } = {
    ...upsertEvent(name, {
      sequence: 3,
      path,
      tags: { team: 'b' },
      document: documentAllowing(['s3:List*']),
    }),
    source: 'https://requests.example.com/feed?tenant=7&kind=iam',
    id: `evt-third-${uniqueSuffix()}`,
  };
  expect((await apply(first))?.outcome).toBe('created');
  const updated = await apply(second);
  expect(updated).toMatchObject({ outcome: 'updated', versionId: 'v2' });
  // The audit tag is a write of the event's own, in its record.
  expect(updated?.actions).toEqual([
    { action: 'CreatePolicyVersion', versionId: 'v2' },
    { action: 'TagPolicy', versionId: 'v2', detail: 'iam-policy-events:v2' },
  ]);
  expect((await apply(third))?.outcome).toBe('updated');

  const digest = eventDigest(third.source, third.id);
  expect(auditTags(await tagsOf(name, path))).toEqual({
    'iam-policy-events:v1': `${SOURCE} ${first.id as string}`,
    'iam-policy-events:v2': `${SOURCE} ${second.id as string}`,
    'iam-policy-events:v3': `sha256:${digest}`,
  });

  // The audit tags are not the event's desired tags: the same event's content again is unchanged.
  const again = await apply({ ...third, id: `${third.id}-again`, sequence: '4' });
  expect(again).toMatchObject({ outcome: 'unchanged', actions: [] });

  const table = await starter(['policy', name, '--path', path, '--history']);
  expect(table.stderr).toBe('');
  expect(table.code).toBe(0);
  const rows = table.stdout.trim().split('\n');
  expect(rows[0]).toBe(`policy ${name}: ${policyArn(name, path)}`);
  expect(rows[2]).toMatch(
    new RegExp(
      `^v3 +default +\\d{4}-\\d\\d-\\d\\dT[^ ]+ +${escape(`${third.source} ${third.id} (sha256:${digest})`)}$`,
    ),
  );
  expect(rows[3]).toMatch(new RegExp(`^v2 +\\d{4}-[^ ]+ +${escape(`${SOURCE} ${second.id as string}`)}$`));
  expect(rows[4]).toMatch(new RegExp(`^v1 +\\d{4}-[^ ]+ +${escape(`${SOURCE} ${first.id as string}`)}$`));

  const json = await starter(['policy', name, '--path', path, '--history', '--json']);
  expect(json.code).toBe(0);
  const history = JSON.parse(json.stdout) as PolicyHistory;
  expect(history).toMatchObject({ exists: true, owned: true, arn: policyArn(name, path) });
  expect(
    history.exists &&
      history.versions.map(({ versionId, isDefault, madeBy }) => ({ versionId, isDefault, madeBy })),
  ).toEqual([
    { versionId: 'v1', isDefault: false, madeBy: { kind: 'event', source: SOURCE, id: first.id } },
    { versionId: 'v2', isDefault: false, madeBy: { kind: 'event', source: SOURCE, id: second.id } },
    {
      versionId: 'v3',
      isDefault: true,
      madeBy: { kind: 'digest', digest, source: third.source, id: third.id },
    },
  ]);

  // Drift compares the policy with the last applied event: the audit tags are not reported.
  const { report } = await runDriftCheck(service.client, {
    taskQueue: service.taskQueue,
    pathPrefix: path,
    repair: false,
    searchAttributes: true,
    confirmAfterMs: 200,
  });
  expect(report).toMatchObject({ outcome: 'in-sync', findings: [], policies: { managed: 1, inSync: 1 } });
});

test('pruning the oldest version removes its tag; 44 event tags, 5 audit tags and managed-by fit in 50', async () => {
  const name = `audit-prune-${uniqueSuffix()}`;
  const tags = Object.fromEntries(Array.from({ length: 44 }, (_, i) => [`k${i}`, `v${i}`]));
  const events = Array.from({ length: 7 }, (_, i) =>
    upsertEvent(name, { sequence: i + 1, tags, document: documentAllowing([`s3:Get${i}`]) }),
  );
  for (const event of events) expect((await apply(event))?.outcome).toMatch(/^(created|updated)$/);

  // v1 and v2 were pruned to make room for v6 and v7, their tags before them.
  expect((await versionsOf(moto, policyArn(name))).map((v) => v.VersionId).sort()).toEqual([
    'v3',
    'v4',
    'v5',
    'v6',
    'v7',
  ]);
  const all = await tagsOf(name);
  expect(Object.keys(all)).toHaveLength(50);
  expect(auditTags(all)).toEqual(
    Object.fromEntries(
      events.slice(2).map((event, i) => [`iam-policy-events:v${i + 3}`, `${SOURCE} ${event.id as string}`]),
    ),
  );
  const last = await apply(upsertEvent(name, { sequence: 8, tags, document: documentAllowing(['s3:Put*']) }));
  expect(last?.actions).toEqual([
    { action: 'UntagPolicy', versionId: 'v3', detail: 'iam-policy-events:v3' },
    { action: 'DeletePolicyVersion', versionId: 'v3' },
    { action: 'CreatePolicyVersion', versionId: 'v8' },
    { action: 'TagPolicy', versionId: 'v8', detail: 'iam-policy-events:v8' },
  ]);
  expect(Object.keys(auditTags(await tagsOf(name))).sort()).toEqual(
    ['v4', 'v5', 'v6', 'v7', 'v8'].map((v) => `iam-policy-events:${v}`),
  );
});

test("at IAM's 50 tags, audit tags of versions deleted by hand make room; a policy still full gets a note", async () => {
  const name = `audit-full-${uniqueSuffix()}`;
  const tags = Object.fromEntries(Array.from({ length: 44 }, (_, i) => [`k${i}`, `v${i}`]));
  for (let i = 1; i <= 5; i += 1) {
    await apply(upsertEvent(name, { sequence: i, tags, document: documentAllowing([`s3:Get${i}`]) }));
  }
  expect(Object.keys(await tagsOf(name))).toHaveLength(50);
  // By hand: v2 deleted, its audit tag left behind; the policy still has 50 tags.
  await moto.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn(name), VersionId: 'v2' }));
  const made = upsertEvent(name, { sequence: 6, document: documentAllowing(['s3:Put*']) });
  const result = await apply(made);
  expect(result).toMatchObject({ outcome: 'updated', versionId: 'v6' });
  expect(result?.actions).toEqual([
    { action: 'CreatePolicyVersion', versionId: 'v6' },
    { action: 'UntagPolicy', detail: 'iam-policy-events:v2 (versions no longer there)' },
    { action: 'TagPolicy', versionId: 'v6', detail: 'iam-policy-events:v6' },
  ]);
  expect(Object.keys(auditTags(await tagsOf(name))).sort()).toEqual(
    ['v1', 'v3', 'v4', 'v5', 'v6'].map((v) => `iam-policy-events:v${v.slice(1)}`),
  );

  // By hand again (moto takes it; IAM would not): a 51st tag. The next version goes without its record.
  await moto.send(new TagPolicyCommand({ PolicyArn: policyArn(name), Tags: [{ Key: 'extra', Value: 'x' }] }));
  // Past IAM_CONSISTENCY_WAIT_MS (1 s here) after the last write, the hand's tag is taken as a change by
  // someone else rather than IAM's lag behind that write (docs/design.md).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const full = await apply(upsertEvent(name, { sequence: 7, document: documentAllowing(['s3:Delete*']) }));
  expect(full).toMatchObject({ outcome: 'updated', versionId: 'v7' });
  expect(full?.notes).toEqual([
    expect.stringMatching(
      /^the audit tag iam-policy-events:v7 naming this event was not set: the policy has IAM's 50 tags/,
    ),
  ]);
  expect(auditTags(await tagsOf(name))).not.toHaveProperty('iam-policy-events:v7');
});

test('a version made outside the service has no record; events may not set the audit tags', async () => {
  const name = `audit-hand-${uniqueSuffix()}`;
  const created = upsertEvent(name, { sequence: 1 });
  await apply(created);
  await moto.send(
    new CreatePolicyVersionCommand({
      PolicyArn: policyArn(name),
      PolicyDocument: JSON.stringify(documentAllowing(['ec2:*'])),
      SetAsDefault: false,
    }),
  );
  const run = await starter(['policy', name, '--history', '--json']);
  const history = JSON.parse(run.stdout) as PolicyHistory;
  expect(history.exists && history.versions.map((v) => [v.versionId, v.madeBy])).toEqual([
    ['v1', { kind: 'event', source: SOURCE, id: created.id }],
    ['v2', { kind: 'not-the-service' }],
  ]);
  const table = await starter(['policy', name, '--history']);
  expect(table.stdout).toMatch(/^v2 +\S+ +not made by this service \(no audit tag\)$/m);

  const forged = await submitEvent(
    upsertEvent(name, { sequence: 2, tags: { 'iam-policy-events:v2': `${SOURCE} forged` } }),
    service.submitOptions(),
  );
  expect(forged).toMatchObject({ outcome: 'rejected' });
  expect(forged.reason).toMatch(
    /"iam-policy-events:v2" is reserved: keys starting with "iam-policy-events:"/,
  );
  expect(auditTags(await tagsOf(name))).toEqual({
    'iam-policy-events:v1': `${SOURCE} ${created.id as string}`,
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
