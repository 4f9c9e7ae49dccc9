// At most N calls a second of one AWS client, every retry included: calls over the rate wait their turn
// (first come, first served), none is failed. One client per account (src/iam/account-clients.ts) makes
// this a rate per account, so a flood in one account never uses another's.
import type { IAMClient } from '@aws-sdk/client-iam';
import { tokenBucket } from '../domain/token-bucket';
import { callsMustNotWait, CallWouldWaitError } from './calls-must-not-wait';

export interface CallRateLimiter {
  /** Resolves once the call may go: at once while the bucket holds a token, else when one is due. */
  acquire(): Promise<void>;
  /** Takes a token if the call may go now (one is there and no call waits before it); false if not. */
  tryAcquire(): boolean;
  /** Calls waiting for a token now. */
  readonly waiting: number;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * `ratePerSecond` calls a second on average; up to one second's worth (at least one call) may go at once
 * after a quiet spell, as IAM's own buckets allow.
 */
export function createCallRateLimiter(ratePerSecond: number, clock: Clock = realClock): CallRateLimiter {
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond))
    throw new Error(`a call rate must be a positive number: ${ratePerSecond}`);
  const bucket = tokenBucket(ratePerSecond, Math.max(1, ratePerSecond), clock.now());
  let waiting = 0;
  // Each call waits behind the one before it: tokens go out in arrival order.
  let tail: Promise<void> = Promise.resolve();
  return {
    acquire() {
      if (waiting === 0 && bucket.take(clock.now())) return Promise.resolve();
      waiting += 1;
      const turn = tail.then(async () => {
        for (;;) {
          const now = clock.now();
          if (bucket.take(now)) break;
          await clock.sleep(bucket.msUntilToken(now));
        }
        waiting -= 1;
      });
      tail = turn;
      return turn;
    },
    tryAcquire() {
      return waiting === 0 && bucket.take(clock.now());
    },
    get waiting() {
      return waiting;
    },
  };
}

/**
 * Makes every HTTP attempt of `client` (each retry too) wait for a token of `limiter`. `onWaited` hears
 * how long each attempt waited (0 when a token was there).
 */
export function limitCallRate(
  client: IAMClient,
  limiter: CallRateLimiter,
  onWaited?: (ms: number) => void,
): IAMClient {
  const waitForToken =
    <A, R>(next: (args: A) => Promise<R>) =>
    async (args: A): Promise<R> => {
      const start = performance.now();
      if (!callsMustNotWait()) await limiter.acquire();
      else if (!limiter.tryAcquire()) throw new CallWouldWaitError('the account has no call token left now');
      onWaited?.(performance.now() - start);
      return next(args);
    };
  client.middlewareStack.addRelativeTo(
    waitForToken,
    // Inside the SDK's retry loop (finalizeRequest, after retryMiddleware) so each attempt takes a token,
    // and before signing so that a request is signed when it leaves, not when it started waiting.
    {
      relation: 'before',
      toMiddleware: 'httpSigningMiddleware',
      name: 'iamPolicyEventsCallRate',
    },
  );
  return client;
}
