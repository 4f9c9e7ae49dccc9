// Counts and times every IAM call attempt by action, error code and account, with a middleware on each
// account's client: all IAM calls of the worker go through those clients, so nothing is missed.
import type { IAMClient } from '@aws-sdk/client-iam';
import { awsErrorCode } from '../iam/errors';
import type { CallCap } from '../iam/account-clients';
import type { ServiceMetrics } from './service-metrics';

const MIDDLEWARE_NAME = 'iamPolicyEventsCallMetrics';

/** The `account` label of the worker's default account (other accounts: their 12-digit ID). */
export const DEFAULT_ACCOUNT_LABEL = 'default';

export function instrumentIamClient(
  iam: IAMClient,
  metrics: Pick<ServiceMetrics, 'iamCalls' | 'iamCallSeconds'>,
  account: string = DEFAULT_ACCOUNT_LABEL,
): IAMClient {
  iam.middlewareStack.add(
    (next, context) => async (args) => {
      const action = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      const timer = metrics.iamCallSeconds.startTimer({ action, account });
      try {
        const output = await next(args);
        metrics.iamCalls.inc({ action, code: 'OK', account });
        return output;
      } catch (error) {
        const nodeCode = (error as { code?: unknown }).code;
        const code = awsErrorCode(error) ?? (typeof nodeCode === 'string' ? nodeCode : 'Unknown');
        metrics.iamCalls.inc({ action, code, account });
        throw error;
      } finally {
        timer();
      }
    },
    // Inside the SDK's retry loop (finalizeRequest, after the retry middleware and the call rate's wait):
    // each attempt counts, so throttling that the SDK retried by itself still shows, and its time is IAM's.
    { step: 'finalizeRequest', priority: 'low', name: MIDDLEWARE_NAME },
  );
  return iam;
}

/** Records each call's wait for its account's caps (for `createAccountClients`'s `onCapWait`). */
export function observeCapWait(metrics: Pick<ServiceMetrics, 'iamCapWaitSeconds'>) {
  return (account: string | undefined, cap: CallCap, ms: number): void => {
    metrics.iamCapWaitSeconds.observe({ account: account ?? DEFAULT_ACCOUNT_LABEL, cap }, ms / 1000);
  };
}
