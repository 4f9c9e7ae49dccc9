// Temporal workflow IDs that workflow code must be able to compute itself. Pure: no Node built-ins.

/**
 * The key of a policy within the service: its lower-cased name (IAM policy names are case-insensitive:
 * 'Team-A' and 'team-a' are one policy), prefixed by its account when that is not the worker's default.
 */
export function policyKey(policyName: string, account?: string): string {
  const name = policyName.toLowerCase();
  return account === undefined ? name : `${account}/${name}`;
}

/**
 * The one workflow that owns a policy: all events about a policy meet in it. `policy/<name>` in the
 * worker's default account (the ID before accounts existed, so running workflows keep theirs),
 * `policy/<account>/<name>` in any other; a policy name has no '/', so the two never meet.
 */
export function policyWorkflowId(policyName: string, account?: string): string {
  return `policy/${policyKey(policyName, account)}`;
}

/** policyKey's inverse: the account (undefined for the default account) and the lower-cased name. */
export function parsePolicyKey(key: string): { account?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { account: key.slice(0, slash), name: key.slice(slash + 1) };
}
