import fc from 'fast-check';
import {
  canonicalSequence,
  compareEventOrder,
  compareSequence,
  compareTime,
} from '../../src/domain/ordering';

describe('compareSequence', () => {
  it('compares numerically, not lexicographically', () => {
    expect(compareSequence('10', '9')).toBe(1);
    expect(compareSequence('9', '10')).toBe(-1);
    expect(compareSequence('100', '100')).toBe(0);
    expect(compareSequence('0', '1')).toBe(-1);
  });

  it('is exact for 19-digit values beyond 2^53', () => {
    expect(compareSequence('9223372036854775807', '9223372036854775806')).toBe(1);
    expect(compareSequence('9007199254740993', '9007199254740992')).toBe(1);
    expect(compareSequence('9999999999999999999', '1000000000000000000')).toBe(1);
  });

  it('agrees with BigInt comparison', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 19n - 1n }),
        fc.bigInt({ min: 0n, max: 10n ** 19n - 1n }),
        (a, b) => {
          const expected = a < b ? -1 : a > b ? 1 : 0;
          expect(compareSequence(a.toString(), b.toString())).toBe(expected);
        },
      ),
    );
  });
});

describe('canonicalSequence', () => {
  it('strips leading zeros and keeps "0"', () => {
    expect(canonicalSequence('007')).toBe('7');
    expect(canonicalSequence('000')).toBe('0');
    expect(canonicalSequence('0')).toBe('0');
    expect(canonicalSequence('0009223372036854775807')).toBe('9223372036854775807');
  });

  it('accepts safe non-negative integers as numbers', () => {
    expect(canonicalSequence(0)).toBe('0');
    expect(canonicalSequence(42)).toBe('42');
    expect(canonicalSequence(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
  });

  it('throws on anything else', () => {
    expect(() => canonicalSequence(-1)).toThrow(/non-negative integer/);
    expect(() => canonicalSequence(1.5)).toThrow(/non-negative integer/);
    expect(() => canonicalSequence(2 ** 60)).toThrow(/non-negative integer/);
    expect(() => canonicalSequence('')).toThrow(/decimal digits/);
    expect(() => canonicalSequence('1e3')).toThrow(/decimal digits/);
    expect(() => canonicalSequence('-1')).toThrow(/decimal digits/);
  });
});

describe('compareTime', () => {
  it('compares instants, not strings', () => {
    expect(compareTime('2026-11-28T10:00:00+01:00', '2026-11-28T09:00:00Z')).toBe(0);
    expect(compareTime('2026-11-28T09:00:00-01:00', '2026-11-28T09:30:00Z')).toBe(1);
    expect(compareTime('2026-11-28t09:00:00z', '2026-11-28T09:00:01Z')).toBe(-1);
  });

  it('keeps precision below a millisecond', () => {
    expect(compareTime('2026-11-28T09:00:00.0001Z', '2026-11-28T09:00:00Z')).toBe(1);
    expect(compareTime('2026-11-28T09:00:00.123456Z', '2026-11-28T09:00:00.123457Z')).toBe(-1);
    expect(compareTime('2026-11-28T09:00:00.5Z', '2026-11-28T09:00:00.500Z')).toBe(0);
  });

  it('handles years before 100 and is undefined for unparseable text', () => {
    expect(compareTime('0050-01-01T00:00:00Z', '1950-01-01T00:00:00Z')).toBe(-1);
    expect(compareTime('yesterday', '2026-11-28T09:00:00Z')).toBeUndefined();
  });
});

describe('compareEventOrder', () => {
  const t1 = '2026-11-28T09:00:00Z';
  const t2 = '2026-11-28T09:05:00Z';

  it('orders by sequence when both have one, even against time', () => {
    expect(compareEventOrder({ sequence: '10', time: t1 }, { sequence: '9', time: t2 })).toBe(1);
    expect(compareEventOrder({ sequence: '9' }, { sequence: '10' })).toBe(-1);
  });

  it('breaks a sequence tie by time, and is 0 when nothing differs', () => {
    expect(compareEventOrder({ sequence: '3', time: t2 }, { sequence: '3', time: t1 })).toBe(1);
    expect(compareEventOrder({ sequence: '3', time: t1 }, { sequence: '3', time: t1 })).toBe(0);
    expect(compareEventOrder({ sequence: '3', time: t1 }, { sequence: '3' })).toBe(0);
  });

  it('falls back to time when either has no sequence', () => {
    expect(compareEventOrder({ time: t1 }, { time: t2 })).toBe(-1);
    expect(compareEventOrder({ sequence: '99', time: t2 }, { time: t1 })).toBe(1);
    expect(compareEventOrder({ time: t1 }, { sequence: '1', time: t1 })).toBe(0);
  });

  it('is undefined when neither comparison is possible', () => {
    expect(compareEventOrder({}, {})).toBeUndefined();
    expect(compareEventOrder({ sequence: '1' }, { time: t1 })).toBeUndefined();
    expect(compareEventOrder({ sequence: '1' }, {})).toBeUndefined();
    expect(compareEventOrder({ time: t1 }, {})).toBeUndefined();
  });

  it('is antisymmetric', () => {
    const key = fc.record(
      {
        sequence: fc.nat({ max: 20 }).map(String),
        time: fc.integer({ min: 0, max: 5 }).map((m) => `2026-11-28T09:0${m}:00Z`),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(key, key, (a, b) => {
        const ab = compareEventOrder(a, b);
        const ba = compareEventOrder(b, a);
        if (ab === undefined) expect(ba).toBeUndefined();
        else expect(ba).toBe(ab === 0 ? 0 : -ab);
      }),
    );
  });
});
