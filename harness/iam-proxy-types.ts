// The types the IAM proxy (iam-proxy.ts) shares with its strict mode (strict-iam.ts), in a module of
// their own so that neither imports the other for them.
import type { FaultKind } from './iam-faults';
import type { ProxyResponse } from './iam-xml';

export interface RecordedRequest {
  /** The Query API action, e.g. "GetPolicy"; '' for requests that carry none (moto-api). */
  action: string;
  /** Every form parameter of the request, e.g. PolicyArn, PolicyUsageFilter. */
  params: Record<string, string>;
  /** The fault injected into this request, if any. */
  fault?: FaultKind;
}

/** Sends the request on to moto and returns its answer, for rules that alter it. */
export type Forward = () => Promise<ProxyResponse>;

/** The IAM actions that change a customer-managed policy (all the service writes); the rest it only reads. */
export const POLICY_WRITE_ACTIONS: ReadonlySet<string> = new Set([
  'CreatePolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'DeletePolicyVersion',
  'DeletePolicy',
  'TagPolicy',
  'UntagPolicy',
]);
