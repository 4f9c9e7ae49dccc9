// Calls that must not wait for their account's caps (src/iam/call-limiter.ts, src/iam/call-rate.ts): a
// caller that would hold something shared while it waits (a local activity holds its workflow task, and
// workflow task slots are what every account's events need) runs its calls in this scope, and a call that
// would wait fails at once with CallWouldWaitError instead; the caller then goes on where waiting is cheap.
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<true>();

export class CallWouldWaitError extends Error {
  override readonly name = 'CallWouldWaitError';
}

/** Runs `work` with every IAM call in it failing with CallWouldWaitError rather than waiting for a cap. */
export function withoutWaiting<T>(work: () => Promise<T>): Promise<T> {
  return scope.run(true, work);
}

/** Whether the current call is in `withoutWaiting`. */
export function callsMustNotWait(): boolean {
  return scope.getStore() === true;
}
