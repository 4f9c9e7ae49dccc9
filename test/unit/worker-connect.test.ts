// WORKER_CONNECT_RETRY_MS (and ingest's INGEST_CONNECT_RETRY_MS) and the pauses between the attempts to
// reach Temporal at start.
import { ConfigError } from '../../src/config/environment';
import { loadIngestConfig } from '../../src/config/ingest';
import { loadConfig } from '../../src/config/worker';
import { connectPauseMs } from '../../src/temporal/connection';

test('WORKER_CONNECT_RETRY_MS: 5 minutes by default, 0 for a single attempt, out-of-range values refused', () => {
  expect(loadConfig({}).connectRetryMs).toBe(300_000);
  expect(loadConfig({ WORKER_CONNECT_RETRY_MS: '0' }).connectRetryMs).toBe(0);
  expect(loadConfig({ WORKER_CONNECT_RETRY_MS: '60000' }).connectRetryMs).toBe(60_000);
  for (const bad of ['-1', '1.5', 'soon', '86400001']) {
    expect(() => loadConfig({ WORKER_CONNECT_RETRY_MS: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ WORKER_CONNECT_RETRY_MS: bad })).toThrow(/WORKER_CONNECT_RETRY_MS/);
  }
});

test('INGEST_CONNECT_RETRY_MS: the same default and range', () => {
  const ingest = (extra: Record<string, string>) => loadIngestConfig({ INGEST_AUTH: 'off', ...extra });
  expect(ingest({}).connectRetryMs).toBe(300_000);
  expect(ingest({ INGEST_CONNECT_RETRY_MS: '0' }).connectRetryMs).toBe(0);
  for (const bad of ['-1', 'soon', '86400001']) {
    expect(() => ingest({ INGEST_CONNECT_RETRY_MS: bad })).toThrow(/INGEST_CONNECT_RETRY_MS/);
  }
});

test('pauses double from about 1 s up to about 30 s, within ±20 %', () => {
  expect([0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => connectPauseMs(attempt, () => 0.5))).toEqual([
    1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
  ]);
  expect(connectPauseMs(0, () => 0)).toBe(800);
  expect(connectPauseMs(9, () => 1)).toBe(36_000);
});
