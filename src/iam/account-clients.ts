// One IAM client per AWS account, each with its own cap on calls in flight, its own call rate (when set)
// and its own adaptive retry state, so that a burst or throttling in one account never slows another. The default account uses
// the worker's own credentials; any other is reached by assuming a role there, only when allowed.
import type { IAMClient } from '@aws-sdk/client-iam';
import { accountRejection, roleArnFor } from '../domain/accounts';
import { nonRetryableFailure } from '../messages/activity-failures';
import type { AccountsConfig } from '../config/iam';
import { assumedRoleCredentials, type StsClientConfig } from './assumed-role';
import { createCallLimiter, limitConcurrentCalls, type CallLimiter } from './call-limiter';
import { createCallRateLimiter, limitCallRate } from './call-rate';
import { createIamClient, type AwsClientOptions } from './client';

/** The client of one account and the account's ID, for the IAM reads and writes. */
export interface AccountIam {
  iam: IAMClient;
  accountId: () => Promise<string>;
  limiter: CallLimiter;
}

export interface AccountClients {
  /** The default account's (`account` undefined) or a named account's client; throws for one not allowed. */
  forAccount(account: string | undefined): AccountIam;
  /** The default account's ID (AWS_ACCOUNT_ID, else STS), to tell an event naming it from one naming another. */
  defaultAccountId(): Promise<string>;
  /** The accounts events may name. */
  readonly allowed: readonly string[];
}

export interface AccountClientsOptions {
  /** The default account's client, as the worker made it (the caps are added here). */
  defaultIam: IAMClient;
  defaultAccountId: () => Promise<string>;
  config: AccountsConfig;
  /**
   * How AssumeRole reaches STS (region, endpoint, retries; `stsClientConfig`). Without credentials there,
   * the worker's own, from the SDK's default chain, sign it.
   */
  sts?: StsClientConfig;
  /** For the other accounts' clients: endpoint, region, retries (the credentials are the role's). */
  clientOptions?: AwsClientOptions;
  /** Called on each client made (metrics instrumentation). */
  onClient?: (iam: IAMClient, account: string | undefined) => void;
  /** Hears how long each call waited for its account's cap: a slot (`in-flight`) or a token (`rate`). */
  onCapWait?: (account: string | undefined, cap: CallCap, ms: number) => void;
}

/** The per-account caps a call may wait for: calls in flight, calls a second. */
export type CallCap = 'in-flight' | 'rate';

export function createAccountClients(options: AccountClientsOptions): AccountClients {
  const { config } = options;
  /** The account's caps on `iam`: its own slots and its own tokens, shared with no other account. */
  const capped = (iam: IAMClient, limiter: CallLimiter, account: string | undefined): IAMClient => {
    const waited = (cap: CallCap) =>
      options.onCapWait && ((ms: number) => options.onCapWait?.(account, cap, ms));
    limitConcurrentCalls(iam, limiter, waited('in-flight'));
    if (config.maxCallsPerSecond !== undefined)
      limitCallRate(iam, createCallRateLimiter(config.maxCallsPerSecond), waited('rate'));
    return iam;
  };
  const defaultLimiter = createCallLimiter(config.maxConcurrentCalls);
  const defaultIam: AccountIam = {
    iam: capped(options.defaultIam, defaultLimiter, undefined),
    accountId: options.defaultAccountId,
    limiter: defaultLimiter,
  };
  options.onClient?.(options.defaultIam, undefined);
  const byAccount = new Map<string, AccountIam>();

  const clientFor = (account: string): AccountIam => {
    const roleArn = roleArnFor(config.assumeRole, account);
    const limiter = createCallLimiter(config.maxConcurrentCalls);
    const iam = createIamClient({
      ...options.clientOptions,
      credentials: assumedRoleCredentials(
        {
          account,
          roleArn,
          roleSessionName: config.roleSessionName,
          ...(config.externalId !== undefined ? { externalId: config.externalId } : {}),
        },
        options.sts,
      ),
    });
    options.onClient?.(iam, account);
    const fixed = Promise.resolve(account);
    return { iam: capped(iam, limiter, account), accountId: () => fixed, limiter };
  };

  return {
    allowed: config.allowed,
    defaultAccountId: options.defaultAccountId,
    forAccount(account) {
      if (account === undefined) return defaultIam;
      // Checked again here, beside the delivery's check: no client is ever made for an account not allowed.
      const problem = accountRejection(account, config.allowed);
      if (problem) throw nonRetryableFailure('rejectedInput', problem);
      let found = byAccount.get(account);
      if (!found) {
        found = clientFor(account);
        byAccount.set(account, found);
      }
      return found;
    },
  };
}
