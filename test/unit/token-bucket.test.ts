// The token bucket (src/domain/token-bucket.ts), and the counting proxy's emulation of IAM's throttling
// with it (bench/token-bucket.ts): a token bucket per API.
import { apiThrottle, jitteredLatency } from '../../bench/token-bucket';
import { tokenBucket } from '../../src/domain/token-bucket';

describe('token bucket', () => {
  it('starts full, runs dry, and refills at its rate', () => {
    const bucket = tokenBucket(10, 10, 0);
    const taken = Array.from({ length: 12 }, () => bucket.take(0));
    expect(taken.filter(Boolean)).toHaveLength(10);
    expect(bucket.take(50)).toBe(false); // half a token
    expect(bucket.take(100)).toBe(true); // one token after 100 ms at 10/s
    expect(bucket.take(100)).toBe(false);
  });

  it('holds no more than its capacity after a quiet spell', () => {
    const bucket = tokenBucket(5, 5, 0);
    const admitted = Array.from({ length: 20 }, () => bucket.take(60_000)).filter(Boolean);
    expect(admitted).toHaveLength(5);
  });

  it('admits its rate over a long stretch of steady calls', () => {
    const bucket = tokenBucket(20, 20, 0);
    let admitted = 0;
    // A call every 10 ms for 10 s: 1,000 calls offered at 100/s.
    for (let t = 0; t < 10_000; t += 10) if (bucket.take(t)) admitted += 1;
    expect(admitted).toBeGreaterThanOrEqual(20 * 10);
    expect(admitted).toBeLessThanOrEqual(20 * 10 + 20);
  });

  it('tells how long until the next token, without taking it', () => {
    const bucket = tokenBucket(4, 2, 0);
    expect(bucket.msUntilToken(0)).toBe(0);
    expect(bucket.take(0) && bucket.take(0)).toBe(true);
    expect(bucket.msUntilToken(0)).toBe(250); // one token at 4/s
    expect(bucket.msUntilToken(100)).toBe(150);
    expect(bucket.take(249)).toBe(false);
    expect(bucket.take(250)).toBe(true);
    // Below one call a second, a token takes longer than a second; rounded up to whole ms.
    const slow = tokenBucket(0.3, 1, 0);
    expect(slow.take(0)).toBe(true);
    expect(slow.msUntilToken(0)).toBe(3334);
    expect(slow.take(3333)).toBe(false);
    expect(slow.take(3334)).toBe(true);
  });

  it('refuses a rate or capacity that cannot admit anything', () => {
    expect(() => tokenBucket(0)).toThrow(RangeError);
    expect(() => tokenBucket(5, 0.5)).toThrow(RangeError);
  });
});

describe('per-API throttle', () => {
  const throttle = () =>
    apiThrottle({ readsPerSecond: 4, writesPerSecond: 2 }, (action) => action.startsWith('Create'));

  it('gives every API its own bucket, at the read or the write rate', () => {
    const t = throttle();
    const admitted = (action: string) =>
      Array.from({ length: 10 }, () => t.admit(action, 1000)).filter(Boolean).length;
    expect(admitted('GetPolicy')).toBe(4);
    expect(admitted('GetPolicyVersion')).toBe(4);
    expect(admitted('CreatePolicyVersion')).toBe(2);
    // One API's calls do not spend another's tokens.
    expect(t.admit('ListPolicies', 1000)).toBe(true);
  });
});

describe('jittered latency', () => {
  it('stays within the mean ± the jitter and averages to the mean', () => {
    let state = 0;
    const steps = () => ((state = (state + 0.137) % 1), state);
    const values = Array.from({ length: 1000 }, () => jitteredLatency(100, 50, steps));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...values)).toBeLessThan(150);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean - 100)).toBeLessThan(2);
    expect(jitteredLatency(10, 50, () => 0)).toBe(0);
  });
});
