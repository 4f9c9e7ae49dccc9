// Credentials for a role in another account: the AWS SDK's own provider (fromTemporaryCredentials, STS
// AssumeRole signed with the worker's own credentials). The IAM client that holds the provider caches
// what it returns and renews it 5 minutes before it expires, one AssumeRole for concurrent callers (the
// SDK's identity memoization). What is added here: a refusal becomes a final failure naming the role and
// the account.
import type { IAMClientConfig } from '@aws-sdk/client-iam';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
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

/** How the provider reaches STS: region, endpoint, the credentials that sign AssumeRole, retries. */
export type StsClientConfig = NonNullable<Parameters<typeof fromTemporaryCredentials>[0]['clientConfig']>;

/** A credentials provider as an AWS SDK client's `credentials` takes it. */
export type CredentialsProvider = Extract<NonNullable<IAMClientConfig['credentials']>, AnyFunction>;
type AnyFunction = (...args: never[]) => unknown;

const DEFAULT_DURATION_SECONDS = 3600;

/**
 * A provider of the role's credentials. An STS refusal (AccessDenied: the trust policy does not allow
 * this worker, a wrong external ID, no such role) is a non-retryable failure naming the role; throttling
 * and network errors are thrown as they are, to retry.
 */
export function assumedRoleCredentials(
  settings: AssumeRoleSettings,
  sts: StsClientConfig = {},
): CredentialsProvider {
  const assume = fromTemporaryCredentials({
    params: {
      RoleArn: settings.roleArn,
      RoleSessionName: settings.roleSessionName,
      DurationSeconds: settings.durationSeconds ?? DEFAULT_DURATION_SECONDS,
      ...(settings.externalId !== undefined ? { ExternalId: settings.externalId } : {}),
    },
    clientConfig: sts,
  });
  return async (properties) => {
    try {
      return await assume(properties);
    } catch (error) {
      throw refusalNamed(error, settings);
    }
  };
}

/** STS's refusal as a final failure; anything else (throttling, 5xx, network) as it is. */
function refusalNamed(error: unknown, settings: AssumeRoleSettings): unknown {
  if (isTransientAwsError(error) || typeof (error as { $metadata?: unknown }).$metadata !== 'object') {
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return nonRetryableFailure(
    'requestRejected',
    `cannot reach account ${settings.account}: STS refused to assume role ${settings.roleArn}: ` +
      `${awsErrorCode(error) ?? 'UnknownError'}${message ? `: ${message}` : ''}`,
    { details: [{ account: settings.account, roleArn: settings.roleArn, code: awsErrorCode(error) }] },
  );
}
