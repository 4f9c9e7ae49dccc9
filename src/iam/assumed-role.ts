// Credentials for a role in another account, from STS AssumeRole with the worker's own credentials:
// cached, shared by concurrent callers, and renewed a margin before they expire so that no IAM call is
// signed with credentials about to run out. A refusal names the role and the account.
import type { IAMClientConfig } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { awsErrorCode, isTransientAwsError } from './errors';
import { nonRetryableFailure } from '../messages/activity-failures';

export interface AssumeRoleSettings {
  account: string;
  roleArn: string;
  roleSessionName: string;
  externalId?: string;
  /** Session length asked of STS (default 1 hour, the most a role allows unless raised). */
  durationSeconds?: number;
}

/** Credentials as the SDK clients take them (the type of @aws-sdk/types, not a dependency of its own here). */
export type AwsCredentialIdentity = Extract<
  NonNullable<IAMClientConfig['credentials']>,
  { accessKeyId: string }
>;

/** Renew this long before expiry (the SDK's own providers use 5 minutes). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
const DEFAULT_DURATION_SECONDS = 3600;

export type CredentialsProvider = () => Promise<AwsCredentialIdentity>;

/**
 * A provider of the role's credentials. `sts` signs with the worker's own credentials. An STS refusal
 * (AccessDenied: the trust policy does not allow this worker, a wrong external ID, no such role) is a
 * non-retryable failure naming the role; throttling and network errors are thrown as they are, to retry.
 */
export function assumedRoleCredentials(
  sts: Pick<STSClient, 'send'>,
  settings: AssumeRoleSettings,
  now: () => number = Date.now,
): CredentialsProvider {
  let cached: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const fresh = (credentials: AwsCredentialIdentity | undefined) =>
    credentials !== undefined &&
    (credentials.expiration === undefined || credentials.expiration.getTime() - REFRESH_MARGIN_MS > now());
  return () => {
    if (fresh(cached)) return Promise.resolve(cached!);
    pending ??= assume(sts, settings)
      .then((credentials) => {
        cached = credentials;
        return credentials;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

async function assume(
  sts: Pick<STSClient, 'send'>,
  settings: AssumeRoleSettings,
): Promise<AwsCredentialIdentity> {
  let answer;
  try {
    answer = await sts.send(
      new AssumeRoleCommand({
        RoleArn: settings.roleArn,
        RoleSessionName: settings.roleSessionName,
        DurationSeconds: settings.durationSeconds ?? DEFAULT_DURATION_SECONDS,
        ...(settings.externalId !== undefined ? { ExternalId: settings.externalId } : {}),
      }),
    );
  } catch (error) {
    if (isTransientAwsError(error) || typeof (error as { $metadata?: unknown }).$metadata !== 'object') {
      throw error;
    }
    const message = error instanceof Error ? error.message : String(error);
    throw nonRetryableFailure(
      'requestRejected',
      `cannot reach account ${settings.account}: STS refused to assume role ${settings.roleArn}: ` +
        `${awsErrorCode(error) ?? 'UnknownError'}${message ? `: ${message}` : ''}`,
      { details: [{ account: settings.account, roleArn: settings.roleArn, code: awsErrorCode(error) }] },
    );
  }
  const credentials = answer.Credentials;
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
    throw new Error(`STS AssumeRole of ${settings.roleArn} returned no credentials`);
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}),
    ...(credentials.Expiration ? { expiration: credentials.Expiration } : {}),
  };
}
