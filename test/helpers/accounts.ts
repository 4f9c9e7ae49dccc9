// Reaching another account of moto the way the worker does (moto keeps IAM state per account of the
// credentials, and its STS AssumeRole gives a role's credentials the role's account).
import { IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { testIamEndpoint } from '../../harness/env';

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
