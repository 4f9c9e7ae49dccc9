// Reaching another account of moto the way the worker does (moto keeps IAM state per account of the
// credentials, and its STS AssumeRole gives a role's credentials the role's account).
import { IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { testIamEndpoint, uniqueSuffix } from '../../harness/env';
import { upsertEvent } from '../../harness/events';
import { submitEvent, type SubmitOptions, type SubmitReport } from '../../src/starter/submit';

/** An IAM client in `account`, through moto's AssumeRole, straight to moto (not through the proxy). */
export async function iamIn(account: string): Promise<IAMClient> {
  const base = { endpoint: testIamEndpoint(), region: 'us-east-1' };
  const sts = new STSClient({ ...base, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/test-hand`, RoleSessionName: 'test' }),
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

/** `event` with `data.account` set. */
export const inAccount = (event: Record<string, unknown>, account: string) => ({
  ...event,
  data: { ...(event.data as Record<string, unknown>), account },
});

export interface FloodResult {
  /** The default account's event, submitted once the flood was under way, and how long it took. */
  prompt: SubmitReport;
  promptMs: number;
  /** When it finished, from the flood's start. */
  promptAt: number;
  /** The flood's events, each with when it finished from the flood's start. */
  flooded: { report: SubmitReport; ms: number }[];
}

/**
 * `count` creates in `account` at once (`<prefix>-<i>`), then after `waitMs` one create in the default
 * account: what a flood in one account does to another's event.
 */
export async function floodThenPrompt(
  submitOptions: SubmitOptions,
  options: { account: string; prefix: string; count: number; waitMs: number },
): Promise<FloodResult> {
  const started = Date.now();
  const flood = Array.from({ length: options.count }, (_, i) =>
    submitEvent(inAccount(upsertEvent(`${options.prefix}-${i}`), options.account), submitOptions).then(
      (report) => ({ report, ms: Date.now() - started }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, options.waitMs));
  const before = Date.now();
  const prompt = await submitEvent(upsertEvent(`prompt-${uniqueSuffix()}`), submitOptions);
  const promptMs = Date.now() - before;
  const promptAt = Date.now() - started;
  return { prompt, promptMs, promptAt, flooded: await Promise.all(flood) };
}
