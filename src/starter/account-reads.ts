// IAM for the starter's read-only commands (`policy`, `plan`), one client per account made exactly as the
// worker makes them (src/iam/account-clients.ts): the default account with the process's own
// credentials, any other through the role IAM_ASSUME_ROLE names there. Only what IAM_ACCOUNTS allows.
import type { IAMClient } from '@aws-sdk/client-iam';
import { accountKey, accountRejection, ACCOUNT_ID_PATTERN } from '../domain/accounts';
import { ConfigError } from '../config/environment';
import type { IamConfig } from '../config/iam';
import { createAccountIdResolver } from '../iam/account';
import { createAccountClients } from '../iam/account-clients';
import { createIamClient, createStsClient, stsClientConfig } from '../iam/client';
import type { IamReadDeps } from './policy-report';

export interface AccountReads {
  /** The accounts events may name (IAM_ACCOUNTS). */
  readonly allowed: readonly string[];
  /**
   * The account key of `account` (undefined: the default account, named or not), as the worker keys
   * policy workflows; undefined `account` is the default account.
   */
  keyOf(account: string | undefined): Promise<string | undefined>;
  /** Read access to the account with this key (undefined: the default account). */
  depsFor(key: string | undefined): IamReadDeps;
  /** Closes every client made. */
  destroy(): void;
}

export function createAccountReads(config: IamConfig): AccountReads {
  const made: IAMClient[] = [];
  const sts = createStsClient();
  const defaultAccountId = createAccountIdResolver(sts, config.accountId);
  const clients = createAccountClients({
    defaultIam: createIamClient(),
    defaultAccountId,
    config: config.accounts,
    sts: stsClientConfig(),
    onClient: (iam) => made.push(iam),
  });
  return {
    allowed: config.accounts.allowed,
    async keyOf(account) {
      return accountKey(account, account === undefined ? undefined : await defaultAccountId());
    },
    depsFor(key) {
      const { iam, accountId } = clients.forAccount(key);
      return { iam, accountId, managedByTag: config.managedByTag, guards: config.guards };
    },
    destroy() {
      for (const iam of made) iam.destroy();
      sts.destroy();
    },
  };
}

/** `--account ID`: a usage error unless it is an account IAM_ACCOUNTS allows. */
export function checkAccountOption(account: string | undefined, allowed: readonly string[]): void {
  if (account === undefined) return;
  if (!ACCOUNT_ID_PATTERN.test(account)) {
    throw new ConfigError(`invalid --account ${JSON.stringify(account)}: an AWS account ID is 12 digits`);
  }
  const problem = accountRejection(account, allowed);
  if (problem) throw new ConfigError(`--account: ${problem}`);
}
