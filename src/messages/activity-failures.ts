// The error contract between the policy activities and the policy workflow: the failures an activity
// throws when retrying cannot help, and how the workflow reads an activity's failure. Transient errors are
// not part of it: activities throw them as they are and Temporal retries them. Only @temporalio/common, so
// workflow code and activities import it alike; the AWS side (which IAM errors are which) is in
// src/iam/errors.ts.
import { ActivityFailure, ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';

/** ApplicationFailure types of the non-retryable failures, so the workflow needs no AWS SDK to tell them apart. */
export const ACTIVITY_FAILURE_TYPES = {
  /** IAM refused the event's content (MalformedPolicyDocument, InvalidInput, LimitExceeded, ...): `rejected`. */
  rejectedInput: 'IamRejectedInput',
  /** IAM refused the request itself (AccessDenied, ...): `failed`, an operator must act. */
  requestRejected: 'IamRequestRejected',
  /** The policy changed under the write (deleted or altered outside this service): observe and decide again. */
  concurrentChange: 'IamConcurrentChange',
} as const;

export type ActivityFailureKind = keyof typeof ACTIVITY_FAILURE_TYPES;

/** A failure of `kind` for an activity to throw: final at once, never retried. */
export function nonRetryableFailure(
  kind: ActivityFailureKind,
  message: string,
  options: { details?: unknown[]; cause?: Error } = {},
): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: ACTIVITY_FAILURE_TYPES[kind],
    nonRetryable: true,
    ...(options.details ? { details: options.details } : {}),
    ...(options.cause ? { cause: options.cause } : {}),
  });
}

/**
 * The failure type with which a local attempt of an IAM read gives way when its account's IAM calls
 * already wait at this worker (its cap or rate): the workflow runs the read as an ordinary activity at
 * once (src/workflows/local-first-activities.ts), which waits in an activity slot. A local attempt waits
 * inside its workflow task, and workflow task slots are what every account's events need.
 */
export const ACCOUNT_BUSY_FAILURE_TYPE = 'IamAccountBusy';

/**
 * The local attempt's hand-over: non-retryable (no local retry waits inside the workflow task) and
 * benign (the worker logs it at debug level and counts no failure for it: under a flood it is routine).
 */
export function accountBusyFailure(account: string | undefined): ApplicationFailure {
  const who = account === undefined ? 'the default account' : `account ${account}`;
  return ApplicationFailure.create({
    message: `IAM calls of ${who} are waiting at this worker; reading as an activity`,
    type: ACCOUNT_BUSY_FAILURE_TYPE,
    nonRetryable: true,
    category: ApplicationFailureCategory.BENIGN,
  });
}

/** An activity's failure as the workflow acts on it: its kind, when it is one of the contract's. */
export interface ReadFailure {
  kind?: ActivityFailureKind;
  message: string;
}

/**
 * What an activity's failure says (a local activity's arrives unwrapped, an activity's inside an
 * ActivityFailure); undefined for any other error, which is a bug in workflow code for the caller to rethrow.
 */
export function readActivityFailure(error: unknown): ReadFailure | undefined {
  if (!(error instanceof ActivityFailure) && !(error instanceof ApplicationFailure)) return undefined;
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const message = cause instanceof Error ? cause.message : String(cause);
  const type = cause instanceof ApplicationFailure ? cause.type : undefined;
  const kind = (Object.keys(ACTIVITY_FAILURE_TYPES) as ActivityFailureKind[]).find(
    (candidate) => ACTIVITY_FAILURE_TYPES[candidate] === type,
  );
  return kind ? { kind, message } : { message };
}
