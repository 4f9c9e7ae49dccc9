// Which failures of a local activity are tried again as an ordinary activity.
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  RetryState,
  TimeoutFailure,
} from '@temporalio/common';
import { shouldFallBack } from '../../src/workflows/local-first-activities';

const PROGRAMMING_ERRORS = ['TypeError', 'RangeError'];

test('a retryable failure whose local attempts ran out falls back to an activity', () => {
  expect(shouldFallBack(ApplicationFailure.retryable('Service is unavailable.', 'IAMServiceException'))).toBe(
    true,
  );
});

test('a timeout falls back', () => {
  expect(shouldFallBack(new TimeoutFailure('start-to-close', undefined, 'START_TO_CLOSE'))).toBe(true);
});

test('a non-retryable failure does not: the outcome is final', () => {
  expect(shouldFallBack(ApplicationFailure.nonRetryable('MalformedPolicyDocument', 'IamRejectedInput'))).toBe(
    false,
  );
});

test('a failure of a type listed as non-retryable does not', () => {
  const failure = ApplicationFailure.retryable('x is undefined', 'TypeError');
  expect(shouldFallBack(failure, PROGRAMMING_ERRORS)).toBe(false);
  expect(shouldFallBack(failure)).toBe(true);
});

test('a cancellation or an unknown error does not', () => {
  expect(shouldFallBack(new CancelledFailure('cancelled'))).toBe(false);
  expect(shouldFallBack(new Error('not from an activity'))).toBe(false);
});

test('a failure wrapped in an ActivityFailure is judged by its cause', () => {
  const wrap = (cause: Error) =>
    new ActivityFailure('failed', 'inspectPolicy', '1', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'worker', cause);
  expect(shouldFallBack(wrap(ApplicationFailure.retryable('Rate exceeded', 'Throttling')))).toBe(true);
  expect(shouldFallBack(wrap(ApplicationFailure.nonRetryable('denied', 'IamRequestRejected')))).toBe(false);
});

test('a failure of a type listed to fall back at once does, though non-retryable (no local retry waits)', () => {
  const busy = ApplicationFailure.nonRetryable('IAM calls of account 2 are waiting', 'IamAccountBusy');
  expect(shouldFallBack(busy, PROGRAMMING_ERRORS, ['IamAccountBusy'])).toBe(true);
  expect(shouldFallBack(busy, PROGRAMMING_ERRORS)).toBe(false);
  // Only its own types: another non-retryable failure stays final.
  const denied = ApplicationFailure.nonRetryable('denied', 'IamRequestRejected');
  expect(shouldFallBack(denied, PROGRAMMING_ERRORS, ['IamAccountBusy'])).toBe(false);
});
