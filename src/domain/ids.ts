// Temporal workflow IDs that workflow code must be able to compute itself. Pure: no Node built-ins.

/**
 * The one workflow that owns a policy. IAM policy names are case-insensitive ('Team-A' and 'team-a'
 * are one policy), so the ID is lower-cased: all events about a policy meet in the same workflow.
 */
export function policyWorkflowId(policyName: string): string {
  return `policy/${policyName.toLowerCase()}`;
}
