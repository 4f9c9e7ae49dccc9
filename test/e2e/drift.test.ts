// Drift detection and repair end to end: the real worker (reconcile workflow, its activities, the policy
// workflows) on the dev server, IAM through the strict proxy in front of moto, and changes made by hand
// directly in moto. Each test keeps to its own IAM path prefix.
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  GetPolicyCommand,
  TagPolicyCommand,
  UntagPolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import pino from 'pino';
import { documentsEqual } from '../../src/domain/document';
import { DRIFT_REPAIR_SOURCE, repairEvent, type DriftReport } from '../../src/domain/drift';
import { DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import { policyWorkflowId } from '../../src/domain/ids';
import { policyStateQuery } from '../../src/messages/workflow-messages';
import { OUTCOME } from '../../src/messages/search-attributes';
import { createDriftSinks } from '../../src/observability/drift-sinks';
import { createServiceMetrics } from '../../src/observability/service-metrics';
import { validateEvent } from '../../src/sources/event-validation';
import { renderDriftReport, runDriftCheck } from '../../src/starter/drift-check';
import { eventStatus } from '../../src/starter/event-status';
import { submitEvent } from '../../src/starter/submit';
import { driftScheduleId, ensureDriftSchedule } from '../../src/temporal/drift-schedule';
import { motoEnvironment, runCli } from '../../harness/cli';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { defaultDocument, deleteEvent, documentAllowing, policyArn, upsertEvent } from '../../harness/events';
import { forPolicyNamed, iamErrorResponse, startIamProxy, type IamProxy } from '../../harness/iam-proxy';
import { directIam } from '../../harness/scenario-runner';
import { MANAGED_BY, startService, type RunningService } from '../../harness/service';

let proxy: IamProxy;
let service: RunningService;
/** moto itself: the hand that changes IAM behind the service's back. */
let moto: IAMClient;
const metrics = createServiceMetrics();

beforeAll(async () => {
  proxy = await startIamProxy(testIamEndpoint(), { strict: true });
  service = await startService({
    iamEndpoint: proxy.endpoint,
    // Hand changes come seconds after the service's writes here: IAM_CONSISTENCY_WAIT_MS=1000.
    guards: { ...DEFAULT_POLICY_GUARDS, consistencyWaitMs: 1000 },
    sinks: createDriftSinks(pino({ level: 'silent' }), metrics),
  });
  moto = directIam(testIamEndpoint());
});

afterAll(async () => {
  await service?.stop();
  await proxy?.close();
});

afterEach(() => proxy.clearRules());

async function apply(event: Record<string, unknown>): Promise<string> {
  const report = await submitEvent(event, service.submitOptions());
  return report.outcome;
}

function check(pathPrefix: string, repair: boolean) {
  return runDriftCheck(service.client, {
    taskQueue: service.taskQueue,
    pathPrefix,
    repair,
    searchAttributes: true,
    confirmAfterMs: 200,
  });
}

function kindsByPolicy(report: DriftReport): Record<string, string[]> {
  return Object.fromEntries(report.findings.map((finding) => [finding.policyName, finding.kinds]));
}

test('hand changes in IAM are reported (repair off changes nothing), repaired through the policy workflows (repair on), and an unknown managed policy is left alone', async () => {
  const s = uniqueSuffix();
  const path = `/drift-${s}/`;
  const names = {
    document: `doc-${s}`,
    tags: `tags-${s}`,
    deleted: `gone-${s}`,
    untagged: `untagged-${s}`,
    inSync: `same-${s}`,
    removedByService: `removed-${s}`,
    unknown: `stray-${s}`,
  };
  const wanted = documentAllowing(['s3:GetObject']);
  /** The audit tag each create left on v1 (the event that made it): the service's own, never drift. */
  const createdBy: Record<string, string> = {};
  for (const name of Object.values(names).filter((n) => n !== names.unknown)) {
    const created = upsertEvent(name, { sequence: 1, path, tags: { team: 'a', cost: 'x' } });
    expect(await apply(created)).toBe('created');
    createdBy[name] = `${created.source as string} ${created.id as string}`;
  }
  expect(await apply(deleteEvent(names.removedByService, { sequence: 2, path }))).toBe('deleted');

  // By hand, behind the service's back.
  const arn = (name: string) => policyArn(name, path);
  await moto.send(
    new CreatePolicyVersionCommand({
      PolicyArn: arn(names.document),
      PolicyDocument: JSON.stringify(documentAllowing(['s3:*'])),
      SetAsDefault: true,
    }),
  );
  await moto.send(new TagPolicyCommand({ PolicyArn: arn(names.tags), Tags: [{ Key: 'team', Value: 'b' }] }));
  await moto.send(new UntagPolicyCommand({ PolicyArn: arn(names.tags), TagKeys: ['cost'] }));
  await moto.send(new DeletePolicyCommand({ PolicyArn: arn(names.deleted) }));
  await moto.send(new UntagPolicyCommand({ PolicyArn: arn(names.untagged), TagKeys: [MANAGED_BY.key] }));
  await moto.send(
    new CreatePolicyCommand({
      PolicyName: names.unknown,
      Path: path,
      PolicyDocument: JSON.stringify(wanted),
      Tags: [{ Key: MANAGED_BY.key, Value: MANAGED_BY.value }],
    }),
  );

  proxy.clearRequests();
  const { workflowId, report } = await check(path, false);
  expect(report.outcome).toBe('drift');
  expect(kindsByPolicy(report)).toEqual({
    [names.document]: ['document-changed'],
    [names.tags]: ['tags-changed'],
    [names.deleted]: ['deleted'],
    [names.untagged]: ['unmanaged'],
    [names.unknown]: ['unknown'],
  });
  expect(report.findings.find((f) => f.policyName === names.tags)?.details).toEqual([
    'tag "cost" is missing (wanted "x")',
    'tag "team" is "b", wanted "a"',
  ]);
  expect(report.findings.every((f) => f.repair === undefined)).toBe(true);
  expect(report.policies).toMatchObject({ managed: 6, inSync: 1, drifted: 5, skipped: 0 });
  // Every IAM call the check made is in its report: one ListPolicies, then two reads per wanted policy
  // present and tagged, one per policy gone, untagged or unknown, and the same again for each difference
  // on the second look.
  expect(report.iamCalls).toBe(proxy.totalRequests());
  expect(proxy.countsByAction()).toEqual({ ListPolicies: 1, GetPolicy: 11, GetPolicyVersion: 5 });
  expect(report.iamCallsPerManagedPolicy).toBe(2.83);
  // Reported only: IAM is as the hand left it.
  expect(documentsEqual(await defaultDocument(moto, arn(names.document)), documentAllowing(['s3:*']))).toBe(
    true,
  );
  expect(proxy.actions().every((action) => /^(Get|List)/.test(action))).toBe(true);
  // Visible in the UI: the workflow's result and its Outcome search attribute.
  const description = await service.client.workflow.getHandle(workflowId).describe();
  expect(description.typedSearchAttributes.get(OUTCOME)).toBe('drift');
  const text = renderDriftReport(workflowId, report);
  expect(text).toMatch(new RegExp(`${names.document}: document-changed; repairable`));
  expect(text).toMatch(new RegExp(`${names.unknown}: unknown; not repairable: left alone`));
  expect(text).toMatch(/To repair: /);

  const repaired = (await check(path, true)).report;
  const repairs = Object.fromEntries(repaired.findings.map((f) => [f.policyName, f.repair?.outcome]));
  expect(repairs).toEqual({
    [names.document]: 'updated',
    [names.tags]: 'updated',
    [names.deleted]: 'created',
    [names.untagged]: undefined,
    [names.unknown]: undefined,
  });
  expect(repaired.repairs).toEqual({ updated: 2, created: 1 });
  expect(documentsEqual(await defaultDocument(moto, arn(names.document)), wanted)).toBe(true);
  const tagsOf = async (name: string): Promise<Record<string, string | undefined>> => {
    const { Policy: policy } = await moto.send(new GetPolicyCommand({ PolicyArn: arn(name) }));
    return Object.fromEntries((policy?.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value]));
  };
  // Beside the wanted tags, each version's audit tag: the create's v1; the policy created again, the repair's.
  expect(await tagsOf(names.tags)).toEqual({
    team: 'a',
    cost: 'x',
    [MANAGED_BY.key]: MANAGED_BY.value,
    'iam-policy-events:v1': createdBy[names.tags],
  });
  const recreatedBy = repaired.findings.find((f) => f.policyName === names.deleted)!.repair!.eventId;
  expect(await tagsOf(names.deleted)).toEqual({
    team: 'a',
    cost: 'x',
    [MANAGED_BY.key]: MANAGED_BY.value,
    'iam-policy-events:v1': `${DRIFT_REPAIR_SOURCE} ${recreatedBy}`,
  });
  expect(documentsEqual(await defaultDocument(moto, arn(names.deleted)), wanted)).toBe(true);
  expect(await tagsOf(names.untagged)).toEqual({
    team: 'a',
    cost: 'x',
    'iam-policy-events:v1': createdBy[names.untagged],
  });
  // The repair is an ordinary event of the policy: in its workflow's order, with its own record.
  const repairId = repaired.findings.find((f) => f.policyName === names.document)!.repair!.eventId;
  expect(await eventStatus(service.client, DRIFT_REPAIR_SOURCE, repairId)).toMatchObject({
    outcome: 'updated',
  });
  const state = await service.client.workflow
    .getHandle(policyWorkflowId(names.document))
    .query(policyStateQuery);
  expect(state.lastApplied).toMatchObject({ source: DRIFT_REPAIR_SOURCE, id: repairId, sequence: '1' });

  const after = (await check(path, false)).report;
  expect(kindsByPolicy(after)).toEqual({ [names.untagged]: ['unmanaged'], [names.unknown]: ['unknown'] });
  expect(after.policies).toMatchObject({ inSync: 4, drifted: 2 });

  const scraped = await metrics.registry.metrics();
  expect(scraped).toMatch(/iam_policy_events_drift_checks_total\{outcome="drift"\} 3/);
  expect(scraped).toMatch(/iam_policy_events_drift_found_total\{kind="document-changed"\} 2/);
  expect(scraped).toMatch(/iam_policy_events_drift_found_total\{kind="unknown"\} 3/);
  expect(scraped).toMatch(/iam_policy_events_drift_repairs_total\{outcome="updated"\} 2/);
  expect(scraped).toMatch(/iam_policy_events_drift_repairs_total\{outcome="created"\} 1/);
});

test('a repair never overwrites a newer event: once another event was applied, it is superseded', async () => {
  const s = uniqueSuffix();
  const name = `newer-${s}`;
  const first = upsertEvent(name, { sequence: 1 });
  expect(await apply(first)).toBe('created');
  expect(await apply(upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:PutObject']) }))).toBe(
    'updated',
  );
  // A repair of the state of sequence 1, as a check that read the policy before sequence 2 would send it.
  const validated = validateEvent(first);
  if (!validated.ok) throw new Error(validated.reason);
  const stale = repairEvent({ event: validated.event, outcome: 'created' }, `late-${s}`);
  const report = await submitEvent(stale, service.submitOptions());
  expect(report.outcome).toBe('superseded');
  expect(report.reason).toMatch(/changed since the drift check read it/);
  expect(
    documentsEqual(await defaultDocument(moto, policyArn(name)), documentAllowing(['s3:PutObject'])),
  ).toBe(true);
});

test('IAM throttling during a check is retried and counted; a policy in sync costs two reads; one IAM refuses to read is skipped', async () => {
  const s = uniqueSuffix();
  const path = `/drift-throttled-${s}/`;
  for (const name of [`a-${s}`, `b-${s}`]) {
    expect(await apply(upsertEvent(name, { sequence: 1, path }))).toBe('created');
  }
  proxy.clearRequests();
  proxy.addRule({
    action: 'GetPolicy',
    times: 2,
    respond: () => iamErrorResponse('Throttling', 'Rate exceeded', 400),
  });
  const { report } = await check(path, false);
  expect(report).toMatchObject({ outcome: 'in-sync', findings: [], policies: { managed: 2, inSync: 2 } });
  expect(proxy.countsByAction()).toEqual({ ListPolicies: 1, GetPolicy: 4, GetPolicyVersion: 2 });
  expect(report.iamCalls).toBe(7);

  // A policy IAM refuses to read is skipped, with the reason; the check goes on with the others.
  proxy.addRule({
    action: 'GetPolicy',
    when: forPolicyNamed(`a-${s}`),
    respond: () => iamErrorResponse('AccessDenied', 'not authorized to perform iam:GetPolicy', 403),
  });
  const refused = (await check(path, false)).report;
  expect(refused).toMatchObject({ outcome: 'in-sync', policies: { inSync: 1, skipped: 1 } });
  expect(refused.skipped).toEqual([{ policyName: `a-${s}`, reason: 'IAM refused to read it: AccessDenied' }]);
});

test('npm run starter -- drift --repair --json: the check from the command line, its report as JSON', async () => {
  const s = uniqueSuffix();
  const path = `/drift-cli-${s}/`;
  const name = `cli-${s}`;
  expect(await apply(upsertEvent(name, { sequence: 1, path }))).toBe('created');
  await moto.send(
    new CreatePolicyVersionCommand({
      PolicyArn: policyArn(name, path),
      PolicyDocument: JSON.stringify(documentAllowing(['s3:*'])),
      SetAsDefault: true,
    }),
  );
  const run = await runCli('src/starter.ts', ['drift', '--repair', '--json', '--path-prefix', path], {
    env: {
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: service.taskQueue,
      ...motoEnvironment(testIamEndpoint()),
    },
  });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.lines()).toEqual([
    expect.objectContaining({
      workflowId: expect.stringMatching(new RegExp(`^drift-check/${service.taskQueue}/now-`)),
      outcome: 'repaired',
      findings: [expect.objectContaining({ policyName: name, kinds: ['document-changed'] })],
    }),
  ]);
  expect(
    documentsEqual(await defaultDocument(moto, policyArn(name, path)), documentAllowing(['s3:GetObject'])),
  ).toBe(true);
});

test('the schedule is created, left alone when unchanged, updated, runs the check, and is removed when off', async () => {
  const path = `/drift-scheduled-${uniqueSuffix()}/`;
  const config = {
    taskQueue: service.taskQueue,
    intervalMs: 3_600_000,
    repair: false,
    pathPrefix: path,
    searchAttributes: true,
  };
  expect(await ensureDriftSchedule(service.client, config)).toBe('created');
  expect(await ensureDriftSchedule(service.client, config)).toBe('unchanged');
  expect(await ensureDriftSchedule(service.client, { ...config, repair: true })).toBe('updated');
  const handle = service.client.schedule.getHandle(driftScheduleId(service.taskQueue));
  const description = await handle.describe();
  expect(description.action).toMatchObject({
    workflowType: 'reconcileWorkflow',
    taskQueue: service.taskQueue,
    args: [{ repair: true, pathPrefix: path, searchAttributes: true }],
  });
  expect(description.spec.intervals).toEqual([expect.objectContaining({ every: 3_600_000 })]);

  await handle.trigger();
  const query = `WorkflowType = 'reconcileWorkflow' AND TaskQueue = '${service.taskQueue}' AND ExecutionStatus = 'Completed'`;
  let completed: DriftReport | undefined;
  for (let tries = 0; tries < 100 && !completed; tries += 1) {
    for await (const execution of service.client.workflow.list({ query })) {
      // The schedule's runs are named <schedule ID>-<time>; `starter drift`'s <schedule ID>/now-<time>.
      if (execution.workflowId.startsWith(`${driftScheduleId(service.taskQueue)}-`)) {
        completed = (await service.client.workflow.getHandle(execution.workflowId).result()) as DriftReport;
      }
    }
    if (!completed) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(completed).toMatchObject({ outcome: 'in-sync', repair: true, pathPrefix: path });

  expect(await ensureDriftSchedule(service.client, { ...config, intervalMs: 0 })).toBe('removed');
  expect(await ensureDriftSchedule(service.client, { ...config, intervalMs: 0 })).toBe('absent');
});
