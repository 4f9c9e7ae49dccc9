import { DEFAULT_COALESCE_WINDOW, nextQuietWait, shouldGather } from '../../src/domain/coalescing';

test('a burst is gathered only when two or more events wait and the window is on', () => {
  expect(shouldGather(0, DEFAULT_COALESCE_WINDOW)).toBe(false);
  expect(shouldGather(1, DEFAULT_COALESCE_WINDOW)).toBe(false);
  expect(shouldGather(2, DEFAULT_COALESCE_WINDOW)).toBe(true);
  expect(shouldGather(20, DEFAULT_COALESCE_WINDOW)).toBe(true);
  expect(shouldGather(5, { quietMs: 0, maxMs: 1000 })).toBe(false);
  expect(shouldGather(5, { quietMs: 200, maxMs: 0 })).toBe(false);
});

test('each quiet period is the quiet time, cut to what is left of the bound; none once the bound is reached', () => {
  const window = { quietMs: 200, maxMs: 1000 };
  expect(nextQuietWait(window, 0)).toBe(200);
  expect(nextQuietWait(window, 700)).toBe(200);
  expect(nextQuietWait(window, 900)).toBe(100);
  expect(nextQuietWait(window, 1000)).toBeUndefined();
  expect(nextQuietWait(window, 5000)).toBeUndefined();
  // A bound below the quiet time caps the first wait too.
  expect(nextQuietWait({ quietMs: 500, maxMs: 300 }, 0)).toBe(300);
  // A clock that seems to go back (it cannot in a workflow) never lengthens a wait past the bound.
  expect(nextQuietWait(window, -50)).toBe(200);
});

test('gathering never waits longer in all than the bound, however the arrivals fall', () => {
  // Arrivals every 150 ms keep cutting quiet periods short; the waits still end by the bound.
  const window = { quietMs: 200, maxMs: 1000 };
  let elapsed = 0;
  for (;;) {
    const wait = nextQuietWait(window, elapsed);
    if (wait === undefined) break;
    elapsed += Math.min(wait, 150);
  }
  expect(elapsed).toBe(1000);
});
