import { defaultMaxCachedWorkflows, oldSpaceLimitMiB } from '../../src/temporal/worker-cache';

test('the cache fits the old space: 2 workflows per MiB above 64 MiB', () => {
  expect(defaultMaxCachedWorkflows(256)).toBe(384);
  expect(defaultMaxCachedWorkflows(384)).toBe(640);
  expect(defaultMaxCachedWorkflows(512)).toBe(896);
  // No flag on a machine with 24 GiB: V8's default heap limit on Node 24 (4096 MiB old space + 192 MiB young).
  expect(defaultMaxCachedWorkflows(4288)).toBe(8448);
});

test('above the SDK default, which sizes from the whole heap limit (old space + 192 MiB young on Node 24)', () => {
  const sdkDefault = (heapLimitMiB: number) => Math.max(Math.floor(((heapLimitMiB - 200) * 600) / 1024), 10);
  for (const oldSpace of [176, 256, 384, 1024, 4096]) {
    expect(defaultMaxCachedWorkflows(oldSpace)).toBeGreaterThan(sdkDefault(oldSpace + 192));
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

describe('the old-space limit is the --max-old-space-size that V8 keeps', () => {
  test('from NODE_OPTIONS, either spelling, not the heap limit with the young generation', () => {
    expect(oldSpaceLimitMiB('--max-old-space-size=256', [], 448)).toBe(256);
    expect(oldSpaceLimitMiB('--enable-source-maps  --max_old_space_size=384', [], 576)).toBe(384);
  });

  test("the command line's comes after NODE_OPTIONS, and the last one counts", () => {
    expect(oldSpaceLimitMiB('--max-old-space-size=384', ['--max-old-space-size=256'], 448)).toBe(256);
    expect(oldSpaceLimitMiB('--max-old-space-size=256 --max-old-space-size=512', [], 704)).toBe(512);
  });

  test("without the flag: V8's heap limit", () => {
    expect(
      oldSpaceLimitMiB('', ['--require', '/x/preflight.cjs', '--import', 'file:///x/loader.mjs'], 4288),
    ).toBe(4288);
    expect(oldSpaceLimitMiB('--max-semi-space-size=16 --max-old-space-size-percentage=5', [], 1397)).toBe(
      1397,
    );
    expect(oldSpaceLimitMiB('--max-old-space-size=', [], 4288)).toBe(4288);
  });
});
