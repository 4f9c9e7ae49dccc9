import { workerRetryOptions } from '../../src/iam/client';

test('the worker retries IAM adaptively, 6 attempts, unless the environment says otherwise', () => {
  expect(workerRetryOptions({})).toEqual({ maxAttempts: 6, retryMode: 'adaptive' });
  expect(workerRetryOptions({ AWS_MAX_ATTEMPTS: '3' })).toEqual({ retryMode: 'adaptive' });
  expect(workerRetryOptions({ AWS_RETRY_MODE: 'standard' })).toEqual({ maxAttempts: 6 });
});
