// The account ID the policy ARNs are built from: configured, or asked of STS once per process.
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

/** Returns a function that resolves the account ID, calling STS at most once while it succeeds. */
export function createAccountIdResolver(sts: STSClient, configuredAccountId?: string): () => Promise<string> {
  if (configuredAccountId) {
    const fixed = Promise.resolve(configuredAccountId);
    return () => fixed;
  }
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= lookUpAccountId(sts).catch((error: unknown) => {
      // Forget a failure so the next activity attempt asks again.
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

async function lookUpAccountId(sts: STSClient): Promise<string> {
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  if (!identity.Account) throw new Error('STS GetCallerIdentity returned no account ID');
  return identity.Account;
}
