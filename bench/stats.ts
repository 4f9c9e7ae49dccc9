// Percentiles and rates over timed events.

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface ThroughputSummary {
  events: number;
  seconds: number;
  /** Events over the whole run: first submission to last final outcome. */
  eventsPerSecond: number;
  /** Between the 10th and the 90th percentile of completion times: without warm-up and drain. */
  steadyEventsPerSecond: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function latencySummary(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? 0,
    mean: sorted.length > 0 ? sum / sorted.length : 0,
  };
}

export function throughput(
  timings: readonly { submittedAt: number; finishedAt: number }[],
): ThroughputSummary {
  if (timings.length === 0) return { events: 0, seconds: 0, eventsPerSecond: 0, steadyEventsPerSecond: 0 };
  const first = Math.min(...timings.map((t) => t.submittedAt));
  const finishes = timings.map((t) => t.finishedAt).sort((a, b) => a - b);
  const seconds = (finishes[finishes.length - 1] - first) / 1000;
  const low = Math.floor(finishes.length * 0.1);
  const high = Math.max(low, Math.ceil(finishes.length * 0.9) - 1);
  const steadySeconds = (finishes[high] - finishes[low]) / 1000;
  return {
    events: timings.length,
    seconds,
    eventsPerSecond: seconds > 0 ? timings.length / seconds : 0,
    steadyEventsPerSecond: steadySeconds > 0 ? (high - low) / steadySeconds : 0,
  };
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
