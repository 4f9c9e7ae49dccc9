// Many accounts, on the real dev server and moto (behind the strict proxy): moto keeps IAM state per
// account of the credentials it is called with, and its STS AssumeRole gives a role's credentials the
// role's account, so the worker's role in another account really writes there.
import { IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { policyWorkflowId } from '../../src/domain/ids';
import { submitEvent } from '../../src/starter/submit';
import { ACCOUNT } from '../../src/messages/search-attributes';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { documentAllowing, policiesNamed, upsertEvent } from '../../harness/events';
import { iamErrorResponse } from '../../harness/iam-proxy';
import { ACCOUNT_ID } from '../../harness/service';
import { proxiedServices } from '../helpers/proxied-services';

const services = proxiedServices();
const B = '222222222222';
const C = '333333333333';
const NOT_ALLOWED = '444444444444';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An IAM client in `account`, through moto's AssumeRole (as the worker reaches it), straight to moto. */
async function iamIn(account: string): Promise<IAMClient> {
  const base = { endpoint: testIamEndpoint(), region: 'us-east-1' };
  const sts = new STSClient({ ...base, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/test-reader`, RoleSessionName: 'test' }),
  );
  sts.destroy();
  return new IAMClient({
    ...base,
    credentials: {
      accessKeyId: c!.AccessKeyId!,
      secretAccessKey: c!.SecretAccessKey!,
      sessionToken: c!.SessionToken,
    },
  });
}

const inAccount = (event: Record<string, unknown>, account: string) => ({
  ...event,
  data: { ...(event.data as Record<string, unknown>), account },
});

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
  const service = await services.serviceWith({ accounts: { allowed: [B], maxConcurrentCalls: cap } });
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
  const started = Date.now();
  const flood = Array.from({ length: floodCount }, (_, i) =>
    submitEvent(inAccount(upsertEvent(`${prefix}-${i}`), B), service.submitOptions()).then((report) => ({
      report,
      ms: Date.now() - started,
    })),
  );
  // Once the flood holds B's calls, an event for the default account.
  await sleep(2_000);
  const name = `prompt-${uniqueSuffix()}`;
  const before = Date.now();
  const prompt = await submitEvent(upsertEvent(name), service.submitOptions());
  const promptMs = Date.now() - before;
  const promptAt = Date.now() - started;
  const flooded = await Promise.all(flood);
  expect(prompt.outcome).toBe('created');
  expect(flooded.map((f) => f.report.outcome)).toEqual(Array(floodCount).fill('created'));
  // B never had more than its cap in flight, so its 12 reads of 1.5 s took at least 12 / 2 * 1.5 s ...
  expect(mostInFlight).toBe(cap);
  const floodMs = Math.max(...flooded.map((f) => f.ms));
  expect(floodMs).toBeGreaterThanOrEqual((floodCount / cap) * 1_500);
  // ... while the default account's event went through at once, with B's burst still queued.
  expect(promptMs).toBeLessThan(4_000);
  expect(flooded.filter((f) => f.ms > promptAt).length).toBeGreaterThan(0);
}, 90_000);
