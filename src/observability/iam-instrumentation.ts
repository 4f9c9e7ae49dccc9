// Counts every IAM call attempt by action and error code, with a middleware on the client: all IAM
// calls of the worker go through one client, so nothing is missed and nothing else needs to know.
import type { IAMClient } from '@aws-sdk/client-iam';
import { awsErrorCode } from '../iam/errors';
import type { ServiceMetrics } from './service-metrics';

const MIDDLEWARE_NAME = 'iamPolicyEventsCallMetrics';

export function instrumentIamClient(iam: IAMClient, metrics: Pick<ServiceMetrics, 'iamCalls'>): IAMClient {
  iam.middlewareStack.add(
    (next, context) => async (args) => {
      const action = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      try {
        const output = await next(args);
        metrics.iamCalls.inc({ action, code: 'OK' });
        return output;
      } catch (error) {
        const nodeCode = (error as { code?: unknown }).code;
        const code = awsErrorCode(error) ?? (typeof nodeCode === 'string' ? nodeCode : 'Unknown');
        metrics.iamCalls.inc({ action, code });
        throw error;
      }
    },
    // Inside the SDK's retry loop (finalizeRequest, after the retry middleware): each attempt counts, so
    // throttling that the SDK retried by itself still shows.
    { step: 'finalizeRequest', priority: 'low', name: MIDDLEWARE_NAME },
  );
  return iam;
}
