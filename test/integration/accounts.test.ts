// Many accounts, on the real dev server and moto (behind the strict proxy): moto keeps IAM state per
// account of the credentials it is called with, and its STS AssumeRole gives a role's credentials the
// role's account, so the worker's role in another account really writes there.
import { CreatePolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { WorkflowNotFoundError } from '@temporalio/client';
import { policyWorkflowId } from '../../src/domain/ids';
import { submitEvent } from '../../src/starter/submit';
import { renderDriftReport, runDriftCheck } from '../../src/starter/drift-check';
import { DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import type { PolicyReport } from '../../src/starter/policy-report';
import { ACCOUNT } from '../../src/messages/search-attributes';
import { createServiceMetrics } from '../../src/observability/service-metrics';
import { motoEnvironment, runCli } from '../../harness/cli';
import { testTemporalAddress, uniqueSuffix } from '../../harness/env';
import {
  defaultDocument,
  documentAllowing,
  policiesNamed,
  upsertEvent,
  versionsOf,
} from '../../harness/events';
import { iamErrorResponse } from '../../harness/iam-proxy';
import { metricValue } from '../../harness/processes';
import { ACCOUNT_ID } from '../../harness/service';
import { floodThenPrompt, iamIn, inAccount } from '../helpers/accounts';
import { proxiedServices } from '../helpers/proxied-services';

const services = proxiedServices();
const B = '222222222222';
const C = '333333333333';
const NOT_ALLOWED = '444444444444';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests at the proxy that name the policy `name` (by ARN or name). */
const requestsFor = (name: string) =>
  services.proxy.requests.filter((r) => (r.params.PolicyArn ?? r.params.PolicyName ?? '').endsWith(name));

let iamB: IAMClient;
beforeAll(async () => {
  iamB = await iamIn(B);
});
afterAll(() => iamB.destroy());

test("an event for account B creates the policy in B, not in the default account, in B's own policy workflow", async () => {
  const service = await services.serviceWith({ accounts: { allowed: [B, C] } });
  const name = `acct-${uniqueSuffix()}`;
  const report = await submitEvent(inAccount(upsertEvent(name), B), service.submitOptions());
  expect(report).toMatchObject({ outcome: 'created', account: B });
  expect(report.result).toMatchObject({ account: B, policyArn: `arn:aws:iam::${B}:policy/${name}` });
  expect((await policiesNamed(iamB, name)).map((p) => p.Arn)).toEqual([`arn:aws:iam::${B}:policy/${name}`]);
  expect(await policiesNamed(service.iam, name)).toEqual([]);
  // The worker assumed its role in B.
  expect(
    services.proxy.requests.some(
      (r) => r.action === 'AssumeRole' && r.params.RoleArn === `arn:aws:iam::${B}:role/iam-policy-events`,
    ),
  ).toBe(true);
  const policy = await service.client.workflow.getHandle(policyWorkflowId(name, B)).describe();
  expect(policy.typedSearchAttributes.get(ACCOUNT)).toBe(B);
  // Both workflows carry the account as their fairness key (the task queue's fairness per account).
  expect(policy.priority?.fairnessKey).toBe(B);
  const event = await service.client.workflow.getHandle(report.workflowId!).describe();
  expect(event.priority?.fairnessKey).toBe(B);
  await expect(service.client.workflow.getHandle(policyWorkflowId(name)).describe()).rejects.toBeInstanceOf(
    WorkflowNotFoundError,
  );
});

test('the same policy name in two accounts: two policies, two workflows, each with its own order', async () => {
  const service = await services.serviceWith({ accounts: { allowed: [B, ACCOUNT_ID] } });
  const name = `twin-${uniqueSuffix()}`;
  const submit = (event: Record<string, unknown>) => submitEvent(event, service.submitOptions());
  const inDefault = upsertEvent(name, { sequence: 5, document: documentAllowing(['s3:GetObject']) });
  const inB = inAccount(upsertEvent(name, { sequence: 1, document: documentAllowing(['s3:PutObject']) }), B);
  expect((await submit(inDefault)).outcome).toBe('created');
  // Sequence 1 is not older than anything in B: its own order, not the default account's.
  expect((await submit(inB)).outcome).toBe('created');
  // An event naming the default account goes to the same workflow as one naming none: ordered there.
  const namedDefault = inAccount(
    upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:*']) }),
    ACCOUNT_ID,
  );
  const older = await submit(namedDefault);
  expect(older.outcome).toBe('superseded');
  const update = await submit(
    inAccount(upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:ListBucket']) }), B),
  );
  expect(update.result).toMatchObject({ outcome: 'updated', policyArn: `arn:aws:iam::${B}:policy/${name}` });
  expect(await policiesNamed(service.iam, name)).toHaveLength(1);
  expect(await policiesNamed(iamB, name)).toHaveLength(1);
  const ids = [policyWorkflowId(name), policyWorkflowId(name, B)];
  const described = await Promise.all(ids.map((id) => service.client.workflow.getHandle(id).describe()));
  expect(described.map((d) => d.status.name)).toEqual(['RUNNING', 'RUNNING']);
});

test('an account not allowed is rejected before any AWS call; no policy workflow starts', async () => {
  const service = await services.serviceWith({ accounts: { allowed: [B] } });
  const name = `denied-${uniqueSuffix()}`;
  const assumesBefore = services.proxy.count('AssumeRole');
  const report = await submitEvent(inAccount(upsertEvent(name), NOT_ALLOWED), service.submitOptions());
  expect(report).toMatchObject({
    outcome: 'rejected',
    reason: `account ${NOT_ALLOWED} is not one this service may touch (IAM_ACCOUNTS: ${B})`,
  });
  expect(requestsFor(name)).toEqual([]);
  expect(services.proxy.count('AssumeRole')).toBe(assumesBefore);
  await expect(
    service.client.workflow.getHandle(policyWorkflowId(name, NOT_ALLOWED)).describe(),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);
  // Where the entry point knows the list, it rejects the event before a workflow starts.
  const early = await submitEvent(inAccount(upsertEvent(name), NOT_ALLOWED), {
    ...service.submitOptions(),
    allowedAccounts: [B],
  });
  expect(early).toMatchObject({
    outcome: 'rejected',
    reason: expect.stringMatching(/^data\.account: account 4{12}/),
  });
  expect(early).not.toHaveProperty('workflowId');
});

test('a role that cannot be assumed: the event fails with the reason, nothing written; resubmitted once it can, it applies', async () => {
  const service = await services.serviceWith({ accounts: { allowed: [C], externalId: 'ext-42' } });
  const name = `norole-${uniqueSuffix()}`;
  const roleArn = `arn:aws:iam::${C}:role/iam-policy-events`;
  services.proxy.addRule({
    action: 'AssumeRole',
    when: (params) => params.RoleArn === roleArn,
    respond: () =>
      iamErrorResponse(
        'AccessDenied',
        `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        403,
      ),
  });
  const event = inAccount(upsertEvent(name), C);
  const failed = await submitEvent(event, service.submitOptions());
  expect(failed.outcome).toBe('failed');
  expect(failed.reason).toContain(
    `cannot reach account ${C}: STS refused to assume role ${roleArn}: AccessDenied`,
  );
  expect(requestsFor(name)).toEqual([]);
  // The worker asked with the external ID and session name configured.
  const asked = services.proxy.requests.find(
    (r) => r.action === 'AssumeRole' && r.params.RoleArn === roleArn,
  );
  expect(asked?.params).toMatchObject({ ExternalId: 'ext-42', RoleSessionName: 'iam-policy-events' });
  // Nothing lost: the failed event is resubmitted once the role can be assumed.
  services.proxy.clearRules();
  const iamC = await iamIn(C);
  try {
    expect((await submitEvent(event, service.submitOptions())).outcome).toBe('created');
    expect(await policiesNamed(iamC, name)).toHaveLength(1);
  } finally {
    iamC.destroy();
  }
});

test("a burst for one account waits for that account's IAM calls only: the other account's event completes at once", async () => {
  const cap = 2;
  const metrics = createServiceMetrics();
  const service = await services.serviceWith({
    accounts: { allowed: [B], maxConcurrentCalls: cap },
    metrics,
  });
  const prefix = `flood-${uniqueSuffix()}`;
  // Every read of a flooded policy takes 1.5 s at IAM; count how many are in flight at once.
  let inFlight = 0;
  let mostInFlight = 0;
  services.proxy.addRule({
    action: 'GetPolicy',
    when: (params) => (params.PolicyArn ?? '').includes(`/${prefix}-`),
    respond: async (_, forward) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await sleep(1_500);
      inFlight -= 1;
      return forward();
    },
  });
  const floodCount = 12;
  // Once the flood holds B's calls (or has emptied its bucket), an event for the default account.
  const { prompt, promptMs, promptAt, flooded } = await floodThenPrompt(service.submitOptions(), {
    account: B,
    prefix,
    count: floodCount,
    waitMs: 2_000,
  });
  expect(prompt.outcome).toBe('created');
  expect(flooded.map((f) => f.report.outcome)).toEqual(Array(floodCount).fill('created'));
  // B never had more than its cap in flight, so its 12 reads of 1.5 s took at least 12 / 2 * 1.5 s ...
  expect(mostInFlight).toBe(cap);
  const floodMs = Math.max(...flooded.map((f) => f.ms));
  expect(floodMs).toBeGreaterThanOrEqual((floodCount / cap) * 1_500);
  // ... while the default account's event went through at once, with B's burst still queued.
  expect(promptMs).toBeLessThan(4_000);
  expect(flooded.filter((f) => f.ms > promptAt).length).toBeGreaterThan(0);
  // What an operator sees on /metrics: B's calls waited for B's slots, seconds in all; the default
  // account's calls, made while B's queued, waited for nothing; B's reads took their 1.5 s at IAM.
  const text = await metrics.registry.metrics();
  const histogram = (name: string, labels: Record<string, string>) => ({
    count: metricValue(text, `${name}_count`, labels),
    sum: metricValue(text, `${name}_sum`, labels),
  });
  const waits = 'iam_policy_events_iam_cap_wait_seconds';
  const bWaits = histogram(waits, { account: B, cap: 'in-flight' });
  const promptWaits = histogram(waits, { account: 'default', cap: 'in-flight' });
  expect(bWaits.count).toBeGreaterThanOrEqual(floodCount);
  expect(bWaits.sum).toBeGreaterThan(((floodCount - cap) / cap) * 1.5);
  expect(promptWaits.count).toBeGreaterThan(0);
  expect(promptWaits.sum).toBeLessThan(0.05);
  const calls = histogram('iam_policy_events_iam_call_seconds', { account: B, action: 'GetPolicy' });
  expect(calls.sum).toBeGreaterThan(floodCount * 1.4);
}, 90_000);

const recentOf = (report: PolicyReport) => (report.workflow.found ? report.workflow.recent : []);
const documentOf = (report: PolicyReport) =>
  JSON.stringify('document' in report.iam ? report.iam.document : undefined);

describe("the starter's read-only commands in another account (CLI, against moto)", () => {
  /** The starter as an operator runs it, with the worker's account configuration and moto as AWS. */
  const starter = (taskQueue: string, args: string[], stdin?: string) =>
    runCli('src/starter.ts', args, {
      stdin,
      env: {
        TEMPORAL_ADDRESS: testTemporalAddress(),
        TEMPORAL_TASK_QUEUE: taskQueue,
        // Through the proxy, to see its calls: moto behind it.
        ...motoEnvironment(services.proxy.endpoint),
        IAM_ACCOUNTS: B,
      },
    });

  test("policy --account reads B's policy workflow and IAM in B; without it, the default account's; an account not allowed is a usage error", async () => {
    const service = await services.serviceWith({ accounts: { allowed: [B] } });
    const name = `cli-acct-${uniqueSuffix()}`;
    const inDefault = upsertEvent(name, { sequence: 3, document: documentAllowing(['s3:GetObject']) });
    const inB: Record<string, unknown> = inAccount(
      upsertEvent(name, { sequence: 1, document: documentAllowing(['s3:PutObject']) }),
      B,
    );
    expect((await submitEvent(inDefault, service.submitOptions())).outcome).toBe('created');
    expect((await submitEvent(inB, service.submitOptions())).outcome).toBe('created');

    const assumed = () =>
      services.proxy.requests.filter(
        (r) => r.action === 'AssumeRole' && r.params.RoleArn === `arn:aws:iam::${B}:role/iam-policy-events`,
      ).length;
    const assumedBefore = assumed();
    const inBReport = await starter(service.taskQueue, ['policy', name, '--account', B, '--document']);
    // The starter assumed the worker's role in B itself (the worker's credentials are cached).
    expect(assumed()).toBe(assumedBefore + 1);
    expect(inBReport.code).toBe(0);
    const b = JSON.parse(inBReport.stdout) as PolicyReport;
    expect(b).toMatchObject({
      policyName: name,
      account: B,
      workflow: { workflowId: policyWorkflowId(name, B), found: true, status: 'RUNNING' },
      iam: { exists: true, arn: `arn:aws:iam::${B}:policy/${name}`, owned: true },
    });
    expect(recentOf(b)[0]).toMatchObject({ id: inB.id, outcome: 'created' });
    expect(documentOf(b)).toContain('s3:PutObject');

    const defaultReport = JSON.parse(
      (await starter(service.taskQueue, ['policy', name, '--document'])).stdout,
    ) as PolicyReport;
    expect(defaultReport).not.toHaveProperty('account');
    expect(defaultReport).toMatchObject({
      workflow: { workflowId: policyWorkflowId(name), found: true },
      iam: { arn: `arn:aws:iam::${ACCOUNT_ID}:policy/${name}` },
    });
    expect(recentOf(defaultReport)[0]).toMatchObject({ id: inDefault.id });
    expect(documentOf(defaultReport)).toContain('s3:GetObject');

    // --history: B's versions, each named by the event that made it there.
    const history = await starter(service.taskQueue, ['policy', name, '--account', B, '--history', '--json']);
    expect(history.code).toBe(0);
    expect(history.lines()[0]).toMatchObject({
      policyName: name,
      account: B,
      exists: true,
      arn: `arn:aws:iam::${B}:policy/${name}`,
      versions: [{ versionId: 'v1', isDefault: true, madeBy: { kind: 'event', id: inB.id } }],
    });
    const table = await starter(service.taskQueue, ['policy', name, '--account', B, '--history']);
    expect(table.stdout).toContain(`policy ${name} in account ${B}: arn:aws:iam::${B}:policy/${name}`);

    for (const args of [
      ['policy', name, '--account', NOT_ALLOWED],
      ['policy', name, '--account', NOT_ALLOWED, '--history'],
      ['policy', name, '--account', 'not-an-id'],
    ]) {
      const refused = await starter(service.taskQueue, args);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');
    }
    const refused = await starter(service.taskQueue, ['policy', name, '--account', NOT_ALLOWED]);
    expect(refused.stderr).toContain(
      `--account: account ${NOT_ALLOWED} is not one this service may touch (IAM_ACCOUNTS: ${B})`,
    );
  });

  test("plan: each event is planned in its own account's policy workflow and IAM", async () => {
    const service = await services.serviceWith({ accounts: { allowed: [B] } });
    const name = `cli-plan-${uniqueSuffix()}`;
    const fresh = `cli-plan-new-${uniqueSuffix()}`;
    const readB = documentAllowing(['s3:PutObject']);
    expect((await submitEvent(upsertEvent(name, { sequence: 5 }), service.submitOptions())).outcome).toBe(
      'created',
    );
    expect(
      (
        await submitEvent(
          inAccount(upsertEvent(name, { sequence: 2, document: readB }), B),
          service.submitOptions(),
        )
      ).outcome,
    ).toBe('created');
    const input = [
      // Older than B's applied sequence 2: superseded there (B's workflow, not the default's 5).
      inAccount(upsertEvent(name, { sequence: 1, document: readB }), B),
      // Newer in B, B's document again: unchanged in B (the default account holds another document).
      inAccount(upsertEvent(name, { sequence: 3, document: readB }), B),
      // Newer in B with the default account's document: an update of B's policy.
      inAccount(upsertEvent(name, { sequence: 4 }), B),
      // Sequence 3 is newer than B's, older than the default account's 5.
      upsertEvent(name, { sequence: 3, document: readB }),
      // A policy only in the default account does not exist in B.
      inAccount(upsertEvent(fresh), B),
      inAccount(upsertEvent(name, { sequence: 9 }), NOT_ALLOWED),
    ];
    const run = await starter(
      service.taskQueue,
      ['plan', '-'],
      input.map((e) => JSON.stringify(e)).join('\n'),
    );
    expect(run.code).toBe(1); // the event for an account not allowed
    expect(run.lines()).toEqual([
      expect.objectContaining({ line: 1, account: B, wouldBe: 'superseded' }),
      expect.objectContaining({ line: 2, account: B, wouldBe: 'unchanged' }),
      expect.objectContaining({
        line: 3,
        account: B,
        wouldBe: 'updated',
        plan: expect.objectContaining({
          policyArn: `arn:aws:iam::${B}:policy/${name}`,
          documentChanged: true,
        }),
      }),
      expect.objectContaining({ line: 4, wouldBe: 'superseded' }),
      expect.objectContaining({ line: 5, account: B, policyName: fresh, wouldBe: 'created' }),
      expect.objectContaining({
        line: 6,
        account: NOT_ALLOWED,
        wouldBe: 'rejected',
        reason: `account ${NOT_ALLOWED} is not one this service may touch (IAM_ACCOUNTS: ${B})`,
      }),
    ]);
    expect(run.lines()[3]).not.toHaveProperty('account');
    // Nothing written, in either account.
    expect(await policiesNamed(iamB, fresh)).toEqual([]);
    expect(await versionsOf(iamB, `arn:aws:iam::${B}:policy/${name}`)).toHaveLength(1);
  });
});

test('the drift check covers every account of IAM_ACCOUNTS: a policy changed by hand in B is reported with account B, and repaired there', async () => {
  const service = await services.serviceWith({
    accounts: { allowed: [B] },
    // The hand change comes a second after the service's write.
    guards: { ...DEFAULT_POLICY_GUARDS, consistencyWaitMs: 500 },
  });
  const path = `/drift-acct-${uniqueSuffix()}/`;
  const name = `drifted-${uniqueSuffix()}`;
  const wanted = documentAllowing(['s3:PutObject']);
  const inB = inAccount(upsertEvent(name, { path, document: wanted }), B);
  expect((await submitEvent(upsertEvent(name, { path }), service.submitOptions())).outcome).toBe('created');
  expect((await submitEvent(inB, service.submitOptions())).outcome).toBe('created');
  const arnInB = `arn:aws:iam::${B}:policy${path}${name}`;
  await sleep(1_000);
  // By hand, in B only: a new default version.
  await iamB.send(
    new CreatePolicyVersionCommand({
      PolicyArn: arnInB,
      PolicyDocument: JSON.stringify(documentAllowing(['s3:*'])),
      SetAsDefault: true,
    }),
  );
  const check = (repair: boolean) =>
    runDriftCheck(service.client, {
      taskQueue: service.taskQueue,
      pathPrefix: path,
      repair,
      confirmAfterMs: 200,
    });

  const found = await check(false);
  expect(found.report).toMatchObject({
    outcome: 'drift',
    policies: { managed: 2, inSync: 1, drifted: 1 },
    findings: [{ policyName: name, account: B, kinds: ['document-changed'], repairable: true }],
  });
  expect(renderDriftReport(found.workflowId, found.report)).toContain(
    `  ${name} (account ${B}): document-changed; repairable`,
  );
  // From the command line too, as JSON.
  const cli = await runCli('src/starter.ts', ['drift', '--json', '--path-prefix', path], {
    env: {
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: service.taskQueue,
      TEMPORAL_SEARCH_ATTRIBUTES: 'off',
    },
  });
  expect(cli.code).toBe(1);
  expect(cli.lines()[0]).toMatchObject({ findings: [{ policyName: name, account: B }] });

  // The repair event names the account: B's policy workflow puts B's policy back, the default's untouched.
  const repaired = await check(true);
  expect(repaired.report.outcome).toBe('repaired');
  expect(repaired.report.findings[0]).toMatchObject({ account: B, repair: { outcome: 'updated' } });
  expect(repaired.report.findings[0]?.repair?.eventId).toMatch(new RegExp(`/${B}/${name}$`));
  expect(await defaultDocument(iamB, arnInB)).toEqual(wanted);
  expect(await versionsOf(service.iam, `arn:aws:iam::${ACCOUNT_ID}:policy${path}${name}`)).toHaveLength(1);
  expect((await check(false)).report).toMatchObject({ outcome: 'in-sync', policies: { managed: 2 } });
}, 90_000);
