// The worker's own Prometheus histograms (METRICS_PORT), read as an operator's dashboard would: what moved
// between two scrapes, and its quantiles interpolated within buckets as Prometheus's histogram_quantile does.

/** A histogram's change between two scrapes, summed over the series that carry `labels`. */
export interface HistogramDelta {
  count: number;
  sum: number;
  /** Cumulative counts by upper bound, ascending, +Inf last. */
  buckets: { le: number; count: number }[];
}

export interface HistogramSummary {
  count: number;
  meanMs: number;
  p95Ms: number;
}

export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.text();
}

function samples(text: string, name: string, labels: Record<string, string>) {
  const found: { line: string; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
      found.push({ line, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
  }
  return found;
}

function histogramAt(texts: readonly string[], name: string, labels: Record<string, string>) {
  const total = (suffix: string) =>
    texts.flatMap((t) => samples(t, `${name}_${suffix}`, labels)).reduce((a, s) => a + s.value, 0);
  const byLe = new Map<number, number>();
  for (const { line, value } of texts.flatMap((t) => samples(t, `${name}_bucket`, labels))) {
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    byLe.set(bound, (byLe.get(bound) ?? 0) + value);
  }
  return { count: total('count'), sum: total('sum'), byLe };
}

/** What `name` gained from the `before` scrapes to the `after` ones (one text per worker process). */
export function histogramDelta(
  before: readonly string[],
  after: readonly string[],
  name: string,
  labels: Record<string, string>,
): HistogramDelta {
  const a = histogramAt(before, name, labels);
  const b = histogramAt(after, name, labels);
  const buckets = [...b.byLe.entries()]
    .map(([le, count]) => ({ le, count: count - (a.byLe.get(le) ?? 0) }))
    .sort((x, y) => x.le - y.le);
  return { count: b.count - a.count, sum: b.sum - a.sum, buckets };
}

/** The q-quantile, linear within its bucket (the bucket's upper bound when it is the last finite one). */
export function histogramQuantile(q: number, delta: HistogramDelta): number {
  if (delta.count <= 0) return 0;
  const rank = q * delta.count;
  let lower = 0;
  let below = 0;
  for (const { le, count } of delta.buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(1, count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}

export function summariseHistogram(delta: HistogramDelta): HistogramSummary {
  return {
    count: delta.count,
    meanMs: delta.count > 0 ? Math.round((delta.sum / delta.count) * 1000 * 10) / 10 : 0,
    p95Ms: Math.round(histogramQuantile(0.95, delta) * 1000 * 10) / 10,
  };
}
