// IAM's throttling as the counting proxy emulates it: a token bucket per API (per IAM action, as IAM
// throttles), refilled continuously at its rate and holding at most one second's worth; a call finding
// its bucket empty is answered Throttling. Pure: the caller passes the time.

export interface TokenBucket {
  /** Takes a token if one is there at `nowMs`; false means the call is throttled. */
  take(nowMs: number): boolean;
}

/** A bucket refilled at `ratePerSecond`, holding at most `capacity` tokens, full at `startMs`. */
export function tokenBucket(ratePerSecond: number, capacity = ratePerSecond, startMs = 0): TokenBucket {
  if (!(ratePerSecond > 0) || !(capacity >= 1)) {
    throw new RangeError(
      `a token bucket needs a rate > 0 and a capacity ≥ 1 (got ${ratePerSecond}, ${capacity})`,
    );
  }
  let tokens = capacity;
  let at = startMs;
  return {
    take(nowMs) {
      if (nowMs > at) {
        tokens = Math.min(capacity, tokens + ((nowMs - at) * ratePerSecond) / 1000);
        at = nowMs;
      }
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

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
