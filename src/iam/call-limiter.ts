// At most N calls of one AWS client in flight: a burst waits for its own client's calls, never another's.
// One client per account (src/iam/account-clients.ts) makes this a cap per account.
import type { IAMClient } from '@aws-sdk/client-iam';
import { callsMustNotWait, CallWouldWaitError } from './calls-must-not-wait';

/** A counting semaphore: `acquire` resolves once one of `limit` slots is free; `release` frees it. */
export interface CallLimiter {
  acquire(): Promise<void>;
  /** Takes a slot if one is free now; false (nothing taken) if the call would have to wait. */
  tryAcquire(): boolean;
  release(): void;
  /** Calls in flight now. */
  readonly active: number;
  /** Calls waiting for a slot now. */
  readonly waiting: number;
}

export function createCallLimiter(limit: number): CallLimiter {
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`a call limit must be a positive integer: ${limit}`);
  let active = 0;
  const queue: (() => void)[] = [];
  return {
    acquire() {
      if (active < limit) {
        active += 1;
        return Promise.resolve();
      }
      // The slot passes straight to the first waiter on release: `active` counts it all along.
      return new Promise<void>((resolve) => queue.push(resolve));
    },
    tryAcquire() {
      if (active >= limit) return false;
      active += 1;
      return true;
    },
    release() {
      const next = queue.shift();
      if (next) next();
      else active -= 1;
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}

/**
 * Makes every call of `client` take a slot of `limiter` for its whole life, retries and their backoff
 * included: a throttled account keeps its slots while it backs off instead of adding calls. `onWaited`
 * hears how long each call waited for its slot (0 when one was free).
 */
export function limitConcurrentCalls(
  client: IAMClient,
  limiter: CallLimiter,
  onWaited?: (ms: number) => void,
): IAMClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      const start = performance.now();
      if (!callsMustNotWait()) await limiter.acquire();
      else if (!limiter.tryAcquire()) throw new CallWouldWaitError('the account has no free call slot');
      onWaited?.(performance.now() - start);
      try {
        return await next(args);
      } finally {
        limiter.release();
      }
    },
    { step: 'initialize', name: 'iamPolicyEventsCallLimiter', priority: 'high' },
  );
  return client;
}
