// Many accounts, the pure parts: policy keys and workflow IDs per (account, name), the role ARN pattern,
// the allow-list, the configuration, the per-account cap on calls and the cached role credentials.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accountKey, accountRejection, roleArnFor, rolePatternProblem } from '../../src/domain/accounts';
import { decide, observationInput } from '../../src/domain/decide';
import { DEFAULT_POLICY_GUARDS } from '../../src/domain/guardrails';
import { policyKey, policyWorkflowId } from '../../src/domain/ids';
import type { PolicyEvent } from '../../src/domain/types';
import { loadAllowedAccounts, loadIamConfig } from '../../src/config/iam';
import { GetPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { assumedRoleCredentials } from '../../src/iam/assumed-role';
import { createCallLimiter } from '../../src/iam/call-limiter';
import { validateEvent } from '../../src/sources/event-validation';
import { readActivityFailure } from '../../src/messages/activity-failures';

const A = '111111111111';
const B = '222222222222';

describe('policy keys and workflow IDs', () => {
  test("the default account keeps today's ID; another account's policy has its account in it", () => {
    expect(policyWorkflowId('Reports-Read')).toBe('policy/reports-read');
    expect(policyWorkflowId('Reports-Read', B)).toBe(`policy/${B}/reports-read`);
    expect(policyKey('Team-A', A)).toBe(`${A}/team-a`);
    // A policy name has no '/', so a name never gives another account's ID.
    expect(policyWorkflowId(`${B}`)).not.toBe(policyWorkflowId('x', B));
  });

  test('an event naming the default account is keyed as one naming none', () => {
    expect(accountKey(undefined, A)).toBeUndefined();
    expect(accountKey(A, A)).toBeUndefined();
    expect(accountKey(B, A)).toBe(B);
  });
});

describe('the role ARN pattern', () => {
  test('a name becomes a role in the account; an ARN takes the account for {account}', () => {
    expect(roleArnFor('iam-policy-events', B)).toBe(`arn:aws:iam::${B}:role/iam-policy-events`);
    expect(roleArnFor('ops/iam-policy-events', B)).toBe(`arn:aws:iam::${B}:role/ops/iam-policy-events`);
    expect(roleArnFor('arn:aws-cn:iam::{account}:role/writer', B)).toBe(`arn:aws-cn:iam::${B}:role/writer`);
  });

  test('an ARN without {account}, or not a role, is refused', () => {
    expect(rolePatternProblem('arn:aws:iam::123456789012:role/writer')).toMatch(/\{account\}/);
    expect(rolePatternProblem('arn:aws:iam::{account}:user/writer')).toMatch(/role ARN/);
    expect(rolePatternProblem('iam-policy-events')).toBeUndefined();
    expect(rolePatternProblem('bad name')).toMatch(/role name/);
  });
});

describe('the allow-list', () => {
  test('no account named: allowed; a listed one: allowed; any other: the reason names it and the list', () => {
    expect(accountRejection(undefined, [])).toBeUndefined();
    expect(accountRejection(B, [A, B])).toBeUndefined();
    expect(accountRejection(B, [A])).toBe(
      `account ${B} is not one this service may touch (IAM_ACCOUNTS: ${A})`,
    );
    expect(accountRejection(B, [])).toMatch(/IAM_ACCOUNTS is empty/);
  });

  test('the entry points reject an event for another account when they know the list', () => {
    const event = {
      specversion: '1.0',
      id: 'e1',
      source: 'urn:test',
      type: 'iam.policy.delete',
      data: { policyName: 'p', account: B },
    };
    expect(validateEvent(event)).toMatchObject({ ok: true, event: { account: B } });
    expect(validateEvent(event, { allowedAccounts: [B] })).toMatchObject({ ok: true });
    expect(validateEvent(event, { allowedAccounts: [A] })).toMatchObject({
      ok: false,
      reason: `data.account: account ${B} is not one this service may touch (IAM_ACCOUNTS: ${A})`,
    });
    const bad = validateEvent({ ...event, data: { policyName: 'p', account: '12345' } });
    expect(bad).toMatchObject({ ok: false, reason: 'data.account must match ^[0-9]{12}$' });
  });
});

test('the example stream for two accounts is valid: one policy name, the default account and account B', () => {
  const lines = readFileSync(join(__dirname, '../../contract/examples/accounts.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => validateEvent(JSON.parse(line), { allowedAccounts: [B] }));
  expect(lines.map((v) => v.ok && [v.event.policyName, v.event.account])).toEqual([
    ['audit-read', undefined],
    ['audit-read', B],
  ]);
});

describe('decisions in an account', () => {
  const upsert: PolicyEvent = {
    source: 'urn:test',
    id: 'e1',
    type: 'iam.policy.upsert',
    policyName: 'p',
    account: B,
    path: '/',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    },
  };

  test("the observation and the write are in the event's account; without one, no account field at all", () => {
    expect(observationInput(upsert)).toMatchObject({ account: B });
    expect(decide(upsert, { exists: false, guards: DEFAULT_POLICY_GUARDS })).toMatchObject({
      kind: 'create',
      account: B,
    });
    const { account: _, ...inDefault } = upsert;
    expect('account' in observationInput(inDefault)).toBe(false);
    expect('account' in decide(inDefault, { exists: false, guards: DEFAULT_POLICY_GUARDS })).toBe(false);
  });
});

describe('configuration', () => {
  test('defaults: no other account, the role iam-policy-events, 16 calls per account', () => {
    expect(loadIamConfig({}).accounts).toEqual({
      allowed: [],
      assumeRole: 'iam-policy-events',
      roleSessionName: 'iam-policy-events',
      maxConcurrentCalls: 16,
    });
    expect(loadAllowedAccounts({})).toBeUndefined();
  });

  test('IAM_ACCOUNTS, IAM_ASSUME_ROLE, IAM_EXTERNAL_ID, IAM_ROLE_SESSION_NAME, the cap', () => {
    const env = {
      IAM_ACCOUNTS: ` ${A}, ${B} `,
      IAM_ASSUME_ROLE: 'arn:aws:iam::{account}:role/writer',
      IAM_EXTERNAL_ID: 'ext-123',
      IAM_ROLE_SESSION_NAME: 'policy-writer',
      IAM_MAX_CONCURRENT_CALLS_PER_ACCOUNT: '4',
    };
    expect(loadIamConfig(env).accounts).toEqual({
      allowed: [A, B],
      assumeRole: 'arn:aws:iam::{account}:role/writer',
      externalId: 'ext-123',
      roleSessionName: 'policy-writer',
      maxConcurrentCalls: 4,
    });
    expect(loadAllowedAccounts(env)).toEqual([A, B]);
  });

  test('IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT: no rate cap unless set; 0 is none; 0.1 to 1000 a second', () => {
    expect('maxCallsPerSecond' in loadIamConfig({}).accounts).toBe(false);
    expect('maxCallsPerSecond' in loadIamConfig({ IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT: '0' }).accounts).toBe(
      false,
    );
    for (const [value, rate] of [
      ['10', 10],
      ['0.5', 0.5],
      ['0.1', 0.1],
      ['1000', 1000],
    ] as const) {
      expect(loadIamConfig({ IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT: value }).accounts.maxCallsPerSecond).toBe(
        rate,
      );
    }
    for (const bad of ['-1', '0.05', '1001', 'fast', 'Infinity']) {
      expect(() => loadIamConfig({ IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT: bad })).toThrow(
        /IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT/,
      );
    }
  });

  test('a mistake names its variable', () => {
    expect(() => loadIamConfig({ IAM_ACCOUNTS: '1234' })).toThrow(/IAM_ACCOUNTS: must be 12-digit/);
    expect(() => loadIamConfig({ IAM_ASSUME_ROLE: 'arn:aws:iam::1:role/x' })).toThrow(
      /IAM_ASSUME_ROLE: a role ARN must contain \{account\}/,
    );
    expect(() => loadIamConfig({ IAM_MAX_CONCURRENT_CALLS_PER_ACCOUNT: '0' })).toThrow(
      /IAM_MAX_CONCURRENT_CALLS_PER_ACCOUNT/,
    );
    expect(() => loadIamConfig({ IAM_ROLE_SESSION_NAME: 'a b' })).toThrow(/IAM_ROLE_SESSION_NAME/);
  });
});

describe('the call limiter', () => {
  test('at most N in flight; a released slot goes to the first waiter', async () => {
    const limiter = createCallLimiter(2);
    const order: number[] = [];
    await limiter.acquire();
    await limiter.acquire();
    const third = limiter.acquire().then(() => order.push(3));
    const fourth = limiter.acquire().then(() => order.push(4));
    await Promise.resolve();
    expect([limiter.active, limiter.waiting, order]).toEqual([2, 2, []]);
    limiter.release();
    await third;
    expect([limiter.active, limiter.waiting, order]).toEqual([2, 1, [3]]);
    limiter.release();
    await fourth;
    limiter.release();
    limiter.release();
    expect([limiter.active, limiter.waiting, order]).toEqual([0, 0, [3, 4]]);
  });
});

describe('role credentials (the SDK provider in a real IAM client, STS and IAM answering in-process)', () => {
  const settings = { account: B, roleArn: `arn:aws:iam::${B}:role/r`, roleSessionName: 's', externalId: 'x' };
  const xml = (statusCode: number, body: string) =>
    Promise.resolve({
      response: { statusCode, headers: { 'content-type': 'text/xml' }, body: Buffer.from(body) },
    });
  const stsError = (type: string, code: string, message: string) =>
    `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error>` +
    '<RequestId>r</RequestId></ErrorResponse>';

  /** STS answering each AssumeRole with `answer(n)` (1-based); its requests' parameters kept. */
  function fakeSts(answer: (call: number) => Promise<{ response: unknown }>) {
    const calls: Record<string, string>[] = [];
    const requestHandler = {
      handle: (request: { body?: string }) => {
        calls.push(Object.fromEntries(new URLSearchParams(String(request.body ?? ''))));
        return answer(calls.length);
      },
    };
    return {
      calls,
      config: {
        region: 'us-east-1',
        credentials: { accessKeyId: 'w', secretAccessKey: 'w' },
        maxAttempts: 1,
        requestHandler,
      },
    };
  }
  const issued = (n: number, expiresAt: number) =>
    xml(
      200,
      '<AssumeRoleResponse><AssumeRoleResult><Credentials>' +
        `<AccessKeyId>AK${n}</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>` +
        `<SessionToken>token</SessionToken><Expiration>${new Date(expiresAt).toISOString()}</Expiration>` +
        '</Credentials></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>',
    );

  /** An IAM client in account B whose calls report the access key that signed them. */
  function iamWith(credentials: ReturnType<typeof assumedRoleCredentials>) {
    const signedWith: string[] = [];
    const iam = new IAMClient({
      region: 'us-east-1',
      credentials,
      requestHandler: {
        handle: (request: { headers: Record<string, string> }) => {
          signedWith.push(/Credential=(\w+)\//.exec(request.headers.authorization ?? '')?.[1] ?? '');
          return xml(
            200,
            '<GetPolicyResponse><GetPolicyResult><Policy><PolicyName>p</PolicyName></Policy></GetPolicyResult>' +
              '<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetPolicyResponse>',
          );
        },
      },
    });
    const call = () => iam.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${B}:policy/p` }));
    return { iam, call, signedWith };
  }

  afterEach(() => jest.restoreAllMocks());

  test('AssumeRole as configured; cached, shared by concurrent calls, renewed 5 minutes before expiry', async () => {
    let now = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const sts = fakeSts((n) => issued(n, now + 3_600_000));
    const { iam, call, signedWith } = iamWith(assumedRoleCredentials(settings, sts.config));
    try {
      await Promise.all([call(), call(), call()]);
      expect(sts.calls).toEqual([
        expect.objectContaining({
          Action: 'AssumeRole',
          RoleArn: settings.roleArn,
          RoleSessionName: 's',
          DurationSeconds: '3600',
          ExternalId: 'x',
        }),
      ]);
      now += 3_600_000 - 5 * 60_000 - 1_000;
      await call();
      expect(sts.calls).toHaveLength(1);
      now += 2_000;
      await call();
      expect(sts.calls).toHaveLength(2);
      expect(signedWith).toEqual(['AK1', 'AK1', 'AK1', 'AK1', 'AK2']);
    } finally {
      iam.destroy();
    }
  });

  test('a refusal is final and names the role and the account; a transient error is thrown to retry', async () => {
    const denied = fakeSts(() =>
      xml(403, stsError('Sender', 'AccessDenied', 'not authorized to perform sts:AssumeRole')),
    );
    const refused = iamWith(assumedRoleCredentials(settings, denied.config));
    const failure = await refused.call().catch((error: unknown) => error);
    refused.iam.destroy();
    expect(readActivityFailure(failure)).toEqual({
      kind: 'requestRejected',
      message: `cannot reach account ${B}: STS refused to assume role ${settings.roleArn}: AccessDenied: not authorized to perform sts:AssumeRole`,
    });
    expect(refused.signedWith).toEqual([]);

    const sts = fakeSts((n) =>
      n === 1
        ? xml(400, stsError('Sender', 'Throttling', 'Rate exceeded'))
        : issued(n, Date.now() + 3_600_000),
    );
    const retried = iamWith(assumedRoleCredentials(settings, sts.config));
    try {
      const throttled = await retried.call().catch((error: unknown) => error);
      expect(readActivityFailure(throttled)).toBeUndefined();
      expect((throttled as { name?: string }).name).toBe('Throttling');
      await retried.call();
      expect(retried.signedWith).toEqual(['AK2']);
    } finally {
      retried.iam.destroy();
    }
  });
});
