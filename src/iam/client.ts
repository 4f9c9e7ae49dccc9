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
}

/** IAM is a global service: any region of the partition signs correctly, so a missing one is not fatal. */
const FALLBACK_REGION = 'us-east-1';

function clientConfig(options: AwsClientOptions) {
  return {
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? FALLBACK_REGION,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
  };
}

export function createIamClient(options: AwsClientOptions = {}): IAMClient {
  return new IAMClient(clientConfig(options));
}

export function createStsClient(options: AwsClientOptions = {}): STSClient {
  return new STSClient(clientConfig(options));
}
