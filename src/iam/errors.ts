// Sorts AWS errors into: expected states the activities handle (NoSuchEntity, ...), transient ones
// Temporal should retry with backoff (thrown as they are), and permanent ones no retry can fix
// (thrown as the non-retryable failures of src/messages/activity-failures.ts, which the workflow turns
// into an outcome).
import { ApplicationFailure } from '@temporalio/common';
import { nonRetryableFailure } from '../messages/activity-failures';

interface AwsErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function shape(error: unknown): AwsErrorShape {
  // Every field of AwsErrorShape is optional and checked where read, so any object fits.
  return typeof error === 'object' && error !== null ? error : {};
}

/** The IAM error code ("NoSuchEntity"), whether the SDK modelled it (NoSuchEntityException) or not. */
export function awsErrorCode(error: unknown): string | undefined {
  const { Code, name } = shape(error);
  const raw = typeof Code === 'string' ? Code : typeof name === 'string' ? name : undefined;
  // Both "Throttling" and "ThrottlingException" exist as codes; they mean the same thing.
  return raw?.replace(/Exception$/, '');
}

function httpStatus(error: unknown): number | undefined {
  return shape(error).$metadata?.httpStatusCode;
}

export function isNoSuchEntity(error: unknown): boolean {
  return awsErrorCode(error) === 'NoSuchEntity';
}

export function isEntityAlreadyExists(error: unknown): boolean {
  return awsErrorCode(error) === 'EntityAlreadyExists';
}

export function isLimitExceeded(error: unknown): boolean {
  return awsErrorCode(error) === 'LimitExceeded';
}

export function isDeleteConflict(error: unknown): boolean {
  return awsErrorCode(error) === 'DeleteConflict';
}

const TRANSIENT_CODES = new Set([
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequests',
  'ServiceUnavailable',
  'ServiceFailure',
  'InternalFailure',
  'InternalError',
  'RequestTimeout',
  'ConcurrentModification',
  'TimeoutError',
  'NetworkingError',
]);

/** Node's socket errors: the request may not have reached IAM, or its answer was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/** Errors in the content IAM was asked to store: the event is rejected, retrying cannot help. */
const REJECTED_INPUT_CODES = new Set([
  'MalformedPolicyDocument',
  'InvalidInput',
  'LimitExceeded',
  'ValidationError',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'MissingParameter',
]);

export function isTransientAwsError(error: unknown): boolean {
  const code = awsErrorCode(error);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  const nodeCode = shape(error).code;
  if (typeof nodeCode === 'string' && NETWORK_CODES.has(nodeCode)) return true;
  const status = httpStatus(error);
  return (status !== undefined && status >= 500) || shape(error).$fault === 'server';
}

/** An answer from AWS (as opposed to a bug in this code or a failure on the way). */
function isAwsServiceError(error: unknown): boolean {
  return httpStatus(error) !== undefined || shape(error).$fault !== undefined;
}

/**
 * What an activity should throw for `error`: transient and unknown errors as they are (Temporal retries
 * them per the activity's retry policy), IAM refusals as non-retryable ApplicationFailures.
 */
export function toActivityFailure(error: unknown, operation: string): unknown {
  if (error instanceof ApplicationFailure || isTransientAwsError(error) || !isAwsServiceError(error))
    return error;
  const code = awsErrorCode(error) ?? 'UnknownError';
  const message = typeof shape(error).message === 'string' ? String(shape(error).message) : '';
  const text = `IAM refused ${operation}: ${code}${message ? `: ${message}` : ''}`;
  return nonRetryableFailure(REJECTED_INPUT_CODES.has(code) ? 'rejectedInput' : 'requestRejected', text, {
    details: [{ code, httpStatus: httpStatus(error) }],
    ...(error instanceof Error ? { cause: error } : {}),
  });
}
