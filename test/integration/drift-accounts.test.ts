// The drift check when an account of IAM_ACCOUNTS refuses: on the real dev server and moto behind the
// strict proxy. moto's STS AssumeRole hands out credentials for any role ARN, existing or not, so the
// proxy answers AssumeRole or ListPolicies with IAM's own AccessDenied where an account must refuse.
import { CreatePolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import pino from 'pino';
import { DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import { createDriftSinks } from '../../src/observability/drift-sinks';
import { renderDriftReport, runDriftCheck } from '../../src/starter/drift-check';
import { submitEvent } from '../../src/starter/submit';
import { runCli } from '../../harness/cli';
import { testTemporalAddress, uniqueSuffix } from '../../harness/env';
import { defaultDocument, documentAllowing, upsertEvent } from '../../harness/events';
import { iamErrorResponse } from '../../harness/iam-proxy';
import type { Forward } from '../../harness/iam-proxy-types';
import type { ProxyResponse } from '../../harness/iam-xml';
import type { RunningService, StartServiceOptions } from '../../harness/service';
import { iamIn, inAccount } from '../helpers/accounts';
import { proxiedServices } from '../helpers/proxied-services';

const services = proxiedServices();
const B = '222222222222';
const C = '333333333333';
const ROLE_IN_C = `arn:aws:iam::${C}:role/iam-policy-events`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The worker's drift log lines. */
const logged: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'info' },
  { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) },
);

/** A worker reaching B and C, with IAM_CONSISTENCY_WAIT_MS short enough for hand changes a second later. */
const options = (taskQueue: string): StartServiceOptions => ({
  taskQueue,
  accounts: { allowed: [B, C] },
  guards: { ...DEFAULT_POLICY_GUARDS, consistencyWaitMs: 500 },
  sinks: createDriftSinks(logger),
});

const check = (service: RunningService, pathPrefix: string, repair: boolean) =>
  runDriftCheck(service.client, { taskQueue: service.taskQueue, pathPrefix, repair, confirmAfterMs: 200 });

let iamB: IAMClient;
beforeAll(async () => {
  iamB = await iamIn(B);
});
afterAll(() => iamB.destroy());

test("an account whose role cannot be assumed is skipped with STS's reason; the other account is still checked and repaired", async () => {
  const taskQueue = `test-${uniqueSuffix()}`;
  const path = `/drift-norole-${uniqueSuffix()}/`;
  const nameB = `in-b-${uniqueSuffix()}`;
  const nameC = `in-c-${uniqueSuffix()}`;
  const wanted = documentAllowing(['s3:PutObject']);
  // A policy in each account, while both roles can be assumed.
  const first = await services.serviceWith(options(taskQueue));
  for (const event of [
    inAccount(upsertEvent(nameB, { path, document: wanted }), B),
    inAccount(upsertEvent(nameC, { path }), C),
  ]) {
    expect((await submitEvent(event, first.submitOptions())).outcome).toBe('created');
  }
  // The role in C refuses from now on; a new worker on the same task queue (the first one holds C's
  // credentials, as a worker does until they expire) runs the policy workflows and the check.
  await services.stop(first);
  services.proxy.addRule({
    action: 'AssumeRole',
    when: (params) => params.RoleArn === ROLE_IN_C,
    respond: () =>
      iamErrorResponse(
        'AccessDenied',
        `User is not authorized to perform: sts:AssumeRole on resource: ${ROLE_IN_C}`,
        403,
      ),
  });
  const service = await services.serviceWith(options(taskQueue));
  await sleep(1_000);
  const arnInB = `arn:aws:iam::${B}:policy${path}${nameB}`;
  await iamB.send(
    new CreatePolicyVersionCommand({
      PolicyArn: arnInB,
      PolicyDocument: JSON.stringify(documentAllowing(['s3:*'])),
      SetAsDefault: true,
    }),
  );
  const refusedBefore = services.proxy.requests.filter(
    (r) => r.action === 'AssumeRole' && r.params.RoleArn === ROLE_IN_C,
  ).length;

  const found = await check(service, path, false);
  const skippedC = {
    account: C,
    reason: expect.stringContaining(
      `cannot reach account ${C}: STS refused to assume role ${ROLE_IN_C}: AccessDenied`,
    ) as unknown,
  };
  // C's policy, wanted by its running policy workflow, is neither reported missing nor skipped: not looked at.
  expect(found.report).toMatchObject({
    outcome: 'drift',
    policies: { checked: 1, managed: 1, drifted: 1, skipped: 0 },
    findings: [{ policyName: nameB, account: B, kinds: ['document-changed'], repairable: true }],
    skipped: [],
    skippedAccounts: [skippedC],
  });
  expect(found.report.findings).toHaveLength(1);
  expect(found.report.skippedAccounts).toHaveLength(1);
  // STS was really asked, and refused.
  expect(
    services.proxy.requests.filter((r) => r.action === 'AssumeRole' && r.params.RoleArn === ROLE_IN_C).length,
  ).toBeGreaterThan(refusedBefore);
  // Logged as needing an operator.
  const line = logged.find((entry) => entry.workflowId === found.workflowId);
  expect(line).toMatchObject({ event: 'drift-check', outcome: 'drift', skippedAccounts: [skippedC] });

  // The command line shows it, as text and as JSON.
  const starter = (args: string[]) =>
    runCli('src/starter.ts', ['drift', '--path-prefix', path, ...args], {
      env: {
        TEMPORAL_ADDRESS: testTemporalAddress(),
        TEMPORAL_TASK_QUEUE: taskQueue,
        TEMPORAL_SEARCH_ATTRIBUTES: 'off',
      },
    });
  const text = await starter([]);
  expect(text.code).toBe(1);
  expect(text.stdout).toContain(`  ${nameB} (account ${B}): document-changed; repairable`);
  expect(text.stdout).toContain(
    `  account ${C}: not checked, none of its policies: cannot reach account ${C}: STS refused to assume role ${ROLE_IN_C}: AccessDenied`,
  );
  expect(text.stdout).toContain('; 1 account(s) not checked');
  expect(text.stdout).not.toContain(nameC);
  const json = await starter(['--json']);
  expect(json.code).toBe(1);
  expect(json.lines()[0]).toMatchObject({ findings: [{ policyName: nameB }], skippedAccounts: [skippedC] });

  // Repair on: B's policy is put back; C is skipped again, nothing submitted for it.
  const repaired = await check(service, path, true);
  expect(repaired.report).toMatchObject({
    outcome: 'repaired',
    findings: [{ policyName: nameB, account: B, repair: { outcome: 'updated' } }],
    skippedAccounts: [skippedC],
  });
  expect(repaired.report.findings).toHaveLength(1);
  expect(await defaultDocument(iamB, arnInB)).toEqual(wanted);
  expect(renderDriftReport(repaired.workflowId, repaired.report)).toContain(
    `  account ${C}: not checked, none of its policies: `,
  );
}, 120_000);

test('ListPolicies denied in an account skips it, its policies unchecked; throttled there, it is retried and checked', async () => {
  const service = await services.serviceWith(options(`test-${uniqueSuffix()}`));
  const path = `/drift-nolist-${uniqueSuffix()}/`;
  const nameB = `in-b-${uniqueSuffix()}`;
  const nameC = `in-c-${uniqueSuffix()}`;
  for (const event of [
    inAccount(upsertEvent(nameB, { path }), B),
    inAccount(upsertEvent(nameC, { path }), C),
  ]) {
    expect((await submitEvent(event, service.submitOptions())).outcome).toBe('created');
  }
  /**
   * ListPolicies under `path` answered by `answer` from the third on: the accounts are listed in turn, the
   * default one, then B, then C (IAM_ACCOUNTS' order), so the third is C's.
   */
  const fromC = (answer: (forward: Forward) => ProxyResponse | Promise<ProxyResponse>) => {
    let seen = 0;
    services.proxy.addRule({
      action: 'ListPolicies',
      when: (params) => params.PathPrefix === path,
      respond: (_, forward) => (++seen <= 2 ? forward() : answer(forward)),
    });
  };

  // Throttled twice in C: retried, not skipped; both accounts checked.
  let throttled = 0;
  fromC((forward) => (++throttled <= 2 ? iamErrorResponse('Throttling', 'Rate exceeded', 400) : forward()));
  const retried = (await check(service, path, false)).report;
  expect(throttled).toBe(3);
  expect(retried).toMatchObject({
    outcome: 'in-sync',
    policies: { managed: 2, inSync: 2, skipped: 0 },
    skippedAccounts: [],
  });

  // Denied in C: C skipped with IAM's reason, though GetPolicy there would answer; B still checked.
  services.proxy.clearRules();
  services.proxy.clearRequests();
  fromC(() => iamErrorResponse('AccessDenied', 'User is not authorized to perform: iam:ListPolicies', 403));
  const denied = (await check(service, path, false)).report;
  expect(denied).toMatchObject({
    outcome: 'in-sync',
    policies: { checked: 1, managed: 1, inSync: 1, skipped: 0 },
    skipped: [],
    skippedAccounts: [
      {
        account: C,
        reason: `IAM refused listing the policies under ${path} in account ${C}: AccessDenied: User is not authorized to perform: iam:ListPolicies`,
      },
    ],
  });
  // Not one read of C's policy, though C's policy workflow wants it.
  expect(services.proxy.requests.filter((r) => (r.params.PolicyArn ?? '').endsWith(`/${nameC}`))).toEqual([]);
}, 120_000);
