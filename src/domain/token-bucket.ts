// A token bucket: refilled continuously at its rate, holding at most `capacity` tokens. The per-account
// IAM call rate (src/iam/call-rate.ts) waits on one; the bench's IAM emulation throttles with them
// (bench/token-bucket.ts). Pure: the caller passes the time.

export interface TokenBucket {
  /** Takes a token if one is there at `nowMs`; false means none is (throttled, or wait). */
  take(nowMs: number): boolean;
  /** How long after `nowMs` a token is there (0: one is now); takes nothing. */
  msUntilToken(nowMs: number): number;
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
  const refill = (nowMs: number) => {
    if (nowMs > at) {
      tokens = Math.min(capacity, tokens + ((nowMs - at) * ratePerSecond) / 1000);
      at = nowMs;
    }
  };
  return {
    take(nowMs) {
      refill(nowMs);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    msUntilToken(nowMs) {
      refill(nowMs);
      // Rounded up: waking at the figure itself must find the whole token.
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / ratePerSecond);
    },
  };
}
