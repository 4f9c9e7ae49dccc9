import { defaultMaxCachedWorkflows } from '../../src/temporal/worker-cache';

test('the cache fits the heap limit: 2 workflows per MiB above 64 MiB', () => {
  // node --max-old-space-size=256 gives a heap limit of 304 MiB (new space included).
  expect(defaultMaxCachedWorkflows(304)).toBe(480);
  expect(defaultMaxCachedWorkflows(432)).toBe(736);
  // No limit on a machine with 24 GiB: V8's default of about 4 GiB.
  expect(defaultMaxCachedWorkflows(4144)).toBe(8160);
});

test('above the SDK default under a heap limit, where that one falls below the policies in use', () => {
  const sdkDefault = (heapLimitMiB: number) => Math.max(Math.floor(((heapLimitMiB - 200) * 600) / 1024), 10);
  for (const limit of [240, 304, 432, 1024, 4144]) {
    expect(defaultMaxCachedWorkflows(limit)).toBeGreaterThan(sdkDefault(limit));
  }
});

test('never below 10, and never more for less heap', () => {
  expect(defaultMaxCachedWorkflows(16)).toBe(10);
  expect(defaultMaxCachedWorkflows(64)).toBe(10);
  let previous = 0;
  for (let limit = 0; limit <= 8192; limit += 37) {
    const size = defaultMaxCachedWorkflows(limit);
    expect(size).toBeGreaterThanOrEqual(previous);
    expect(Number.isInteger(size)).toBe(true);
    previous = size;
  }
});
