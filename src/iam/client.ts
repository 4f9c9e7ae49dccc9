// Builds the AWS clients the activities use. Anything not given comes from the SDK's standard chain,
// which also honours AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL (moto, LocalStack).
import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';

export interface AwsClientOptions {
  region?: string;
  /** Overrides the endpoint, e.g. http://127.0.0.1:5000 for moto. */
  endpoint?: string;
  credentials?: IAMClientConfig['credentials'];
  /** Attempts per call, first included; the SDK's default is 3. */
  maxAttempts?: number;
  /** 'adaptive' also slows the client down while IAM throttles it. */
  retryMode?: 'standard' | 'adaptive';
}

/** IAM is a global service: any region of the partition signs correctly, so a missing one is not fatal. */
const FALLBACK_REGION = 'us-east-1';

function clientConfig(options: AwsClientOptions) {
  return {
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? FALLBACK_REGION,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.retryMode !== undefined ? { retryMode: options.retryMode } : {}),
  };
}

/**
 * The worker's retry settings, unless AWS_MAX_ATTEMPTS / AWS_RETRY_MODE say otherwise: under sustained
 * throttling the SDK's default (3 attempts, standard) runs out and fails whole activities, which Temporal
 * then retries only after its own, longer backoff.
 */
export function workerRetryOptions(env: NodeJS.ProcessEnv = process.env): AwsClientOptions {
  return {
    ...(env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: 6 }),
    ...(env.AWS_RETRY_MODE ? {} : { retryMode: 'adaptive' as const }),
  };
}

export function createIamClient(options: AwsClientOptions = {}): IAMClient {
  return new IAMClient(clientConfig(options));
}

export function createStsClient(options: AwsClientOptions = {}): STSClient {
  return new STSClient(stsClientConfig(options));
}

/** An STS client's settings, for the SDK's own providers that make their client (assumed roles). */
export function stsClientConfig(options: AwsClientOptions = {}) {
  return clientConfig(options);
}
