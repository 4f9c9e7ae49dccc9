// bench/worker-metrics.ts: what a worker's histogram gained between two scrapes, and its quantiles, on
// text as prom-client writes it.
import { Histogram, Registry } from 'prom-client';
import { histogramDelta, histogramQuantile, summariseHistogram } from '../../bench/worker-metrics';

function registryWith() {
  const registry = new Registry();
  const histogram = new Histogram({
    name: 'wait_seconds',
    help: 'test',
    labelNames: ['account', 'cap'],
    buckets: [0.1, 0.5, 1],
    registers: [registry],
  });
  return { registry, histogram };
}

test('the delta counts only what was observed between the scrapes, for the labels asked', async () => {
  const { registry, histogram } = registryWith();
  histogram.observe({ account: 'a', cap: 'rate' }, 0.05);
  const before = await registry.metrics();
  for (const seconds of [0.05, 0.2, 0.3, 0.7]) histogram.observe({ account: 'a', cap: 'rate' }, seconds);
  histogram.observe({ account: 'b', cap: 'rate' }, 5);
  const after = await registry.metrics();
  const a = histogramDelta([before], [after], 'wait_seconds', { account: 'a' });
  expect(a.count).toBe(4);
  expect(a.sum).toBeCloseTo(1.25);
  expect(a.buckets).toEqual([
    { le: 0.1, count: 1 },
    { le: 0.5, count: 3 },
    { le: 1, count: 4 },
    { le: Number.POSITIVE_INFINITY, count: 4 },
  ]);
  expect(summariseHistogram(a).meanMs).toBeCloseTo(312.5);
  // Two processes' scrapes add up.
  const both = histogramDelta([before, before], [after, after], 'wait_seconds', { cap: 'rate' });
  expect(both.count).toBe(10);
});

test('quantiles interpolate within the bucket; above the last finite bound they are that bound', () => {
  const delta = {
    count: 10,
    sum: 0,
    buckets: [
      { le: 0.1, count: 5 },
      { le: 0.5, count: 9 },
      { le: 1, count: 9 },
      { le: Number.POSITIVE_INFINITY, count: 10 },
    ],
  };
  expect(histogramQuantile(0.5, delta)).toBeCloseTo(0.1);
  expect(histogramQuantile(0.7, delta)).toBeCloseTo(0.3);
  expect(histogramQuantile(0.95, delta)).toBe(1);
  expect(histogramQuantile(0.95, { count: 0, sum: 0, buckets: [] })).toBe(0);
});
