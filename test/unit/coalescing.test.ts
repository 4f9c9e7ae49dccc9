import { DEFAULT_COALESCE_WINDOW, nextQuietWait, shouldGather } from '../../src/domain/coalescing';

test('a burst is gathered only when two or more events wait and the window is on', () => {
  expect(shouldGather(0, DEFAULT_COALESCE_WINDOW)).toBe(false);
  expect(shouldGather(1, DEFAULT_COALESCE_WINDOW)).toBe(false);
  expect(shouldGather(2, DEFAULT_COALESCE_WINDOW)).toBe(true);
  expect(shouldGather(20, DEFAULT_COALESCE_WINDOW)).toBe(true);
  expect(shouldGather(5, { quietMs: 0, maxMs: 1000 })).toBe(false);
  expect(shouldGather(5, { quietMs: 200, maxMs: 0 })).toBe(false);
});

test('each quiet period is the quiet time; a later one only if a whole one still fits in the bound', () => {
  const window = { quietMs: 200, maxMs: 1000 };
  expect(nextQuietWait(window, 0)).toBe(200);
  expect(nextQuietWait(window, 700)).toBe(200);
  expect(nextQuietWait(window, 800)).toBe(200);
  expect(nextQuietWait(window, 801)).toBeUndefined();
  expect(nextQuietWait(window, 1000)).toBeUndefined();
  expect(nextQuietWait(window, 5000)).toBeUndefined();
  // A bound below the quiet time makes one shorter period.
  expect(nextQuietWait({ quietMs: 500, maxMs: 300 }, 0)).toBe(300);
  expect(nextQuietWait({ quietMs: 500, maxMs: 300 }, 10)).toBeUndefined();
  // A clock that seems to go back (it cannot in a workflow) counts as no time passed.
  expect(nextQuietWait(window, -50)).toBe(200);
});

test('gathering never waits longer in all than the bound, however the periods fall', () => {
  for (const window of [
    { quietMs: 200, maxMs: 1000 },
    { quietMs: 300, maxMs: 1000 },
    { quietMs: 1000, maxMs: 1000 },
  ]) {
    let elapsed = 0;
    for (;;) {
      const wait = nextQuietWait(window, elapsed);
      if (wait === undefined) break;
      elapsed += wait;
    }
    expect(elapsed).toBeLessThanOrEqual(window.maxMs);
    expect(elapsed).toBeGreaterThan(window.maxMs - window.quietMs);
  }
});
