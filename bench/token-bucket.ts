// IAM's throttling as the counting proxy emulates it: a token bucket per API (per IAM action, as IAM
// throttles), refilled continuously at its rate and holding at most one second's worth; a call finding
// its bucket empty is answered Throttling. Pure: the caller passes the time.
import { tokenBucket, type TokenBucket } from '../src/domain/token-bucket';

export interface ThrottleRates {
  /** Calls per second each read API (GetPolicy, ListPolicies, ...) accepts. */
  readsPerSecond: number;
  /** Calls per second each write API (CreatePolicyVersion, DeletePolicy, ...) accepts. */
  writesPerSecond: number;
}

export interface ApiThrottle {
  /** Whether IAM would accept a call of `action` at `nowMs`. */
  admit(action: string, nowMs: number): boolean;
}

/** One bucket per API, at the read or the write rate, each full when first used. */
export function apiThrottle(rates: ThrottleRates, isWrite: (action: string) => boolean): ApiThrottle {
  const buckets = new Map<string, TokenBucket>();
  return {
    admit(action, nowMs) {
      let bucket = buckets.get(action);
      if (!bucket) {
        bucket = tokenBucket(
          isWrite(action) ? rates.writesPerSecond : rates.readsPerSecond,
          undefined,
          nowMs,
        );
        buckets.set(action, bucket);
      }
      return bucket.take(nowMs);
    },
  };
}

/** A latency drawn evenly from `meanMs` ± `jitterMs` (never below 0): `random` gives [0, 1). */
export function jitteredLatency(meanMs: number, jitterMs: number, random: () => number): number {
  return Math.max(0, meanMs + (random() * 2 - 1) * jitterMs);
}
