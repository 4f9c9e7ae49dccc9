// Which AWS account an event is for, and whether the service may touch it. Pure: the event sources, the
// delivery activity and the configuration share it, and workflow code may import it.

/** An AWS account ID: 12 decimal digits. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/** The placeholder a role pattern (IAM_ASSUME_ROLE) puts the account ID in. */
export const ACCOUNT_PLACEHOLDER = '{account}';

/**
 * The role to assume in `account`: `pattern` is a role ARN with `{account}` where the account ID goes
 * (arn:aws:iam::{account}:role/iam-policy-events), or a bare role name (iam-policy-events, or a path and
 * name, ops/iam-policy-events), which becomes that ARN in the account.
 */
export function roleArnFor(pattern: string, account: string, partition = 'aws'): string {
  if (pattern.startsWith('arn:')) return pattern.split(ACCOUNT_PLACEHOLDER).join(account);
  return `arn:${partition}:iam::${account}:role/${pattern.replace(/^\/+/, '')}`;
}

/** Why a role pattern is unusable, or undefined: an ARN must name the account through `{account}`. */
export function rolePatternProblem(pattern: string): string | undefined {
  if (pattern.startsWith('arn:')) {
    if (!pattern.includes(ACCOUNT_PLACEHOLDER)) {
      return `a role ARN must contain ${ACCOUNT_PLACEHOLDER} where the account ID goes, e.g. arn:aws:iam::${ACCOUNT_PLACEHOLDER}:role/iam-policy-events`;
    }
    const sample = roleArnFor(pattern, '123456789012');
    if (!/^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(sample)) {
      return `must be a role ARN such as arn:aws:iam::${ACCOUNT_PLACEHOLDER}:role/iam-policy-events`;
    }
    return undefined;
  }
  return /^[\w+=,.@/-]{1,512}$/.test(pattern) && !pattern.endsWith('/')
    ? undefined
    : 'must be a role name (letters, digits, +=,.@_-, an optional path) or a role ARN with {account}';
}

/**
 * Why an event for `account` may not be applied, or undefined when it may. Undefined `account`: the
 * worker's default account, always allowed. `allowed`: the accounts events may name (IAM_ACCOUNTS).
 */
export function accountRejection(
  account: string | undefined,
  allowed: readonly string[],
): string | undefined {
  if (account === undefined || allowed.includes(account)) return undefined;
  return allowed.length === 0
    ? `account ${account} is not one this service may touch (IAM_ACCOUNTS is empty: events may not name an account)`
    : `account ${account} is not one this service may touch (IAM_ACCOUNTS: ${allowed.join(', ')})`;
}

/**
 * The account an event's policy workflow is keyed by: undefined for the worker's default account,
 * whether the event names it or not, so that one workflow writes each policy.
 */
export function accountKey(
  account: string | undefined,
  defaultAccount: string | undefined,
): string | undefined {
  return account === undefined || account === defaultAccount ? undefined : account;
}

/**
 * The task queue fairness key of an account's work: Temporal's matching (fairness on) dispatches the
 * backlog of each key in turn, so one account's flood waits behind itself, not in front of the others.
 */
export function fairnessKeyOf(account: string | undefined): string {
  return account ?? 'default';
}
