// The arithmetic of the floor-ratio scenario (bench/scenarios/floor-ratio.ts), pure: which streams it
// runs, CPU per event of a pass, the ratio of each repeat, and medians with their spread.
import type { StreamSpec } from '../stream';

/** The two streams of issue 22: the plain mixed one, and the one with redeliveries and bursts. */
export type FloorStreamName = 'mixed' | 'dups-bursts';

/**
 * The streams the scenario runs, from the bench's stream options: the plain mixed stream (no
 * redeliveries, no bursts, whatever --dup-rate and --burst-rate say) and the stream with them as the
 * options give them (the defaults: 0.2 and 0.2). When the options ask for no redeliveries and no bursts,
 * the second stream would be the first again, so only the mixed one runs.
 */
export function floorStreams(base: StreamSpec): { name: FloorStreamName; spec: StreamSpec }[] {
  const mixed = {
    name: 'mixed' as const,
    spec: { ...base, dupRate: 0, burstRate: 0, prefix: `${base.prefix}m` },
  };
  if (base.dupRate === 0 && base.burstRate === 0) return [mixed];
  return [mixed, { name: 'dups-bursts' as const, spec: { ...base, prefix: `${base.prefix}d` } }];
}

/** The processes whose CPU counts for a design: the worker, the Temporal server and the submitting client. */
export const COUNTED = ['worker', 'temporal', 'bench'] as const;

/** CPU milliseconds per event of the counted processes (missing ones count 0). */
export function countedMsPerEvent(seconds: Readonly<Record<string, number>>, events: number): number {
  if (events <= 0) throw new Error('a pass without events has no CPU per event');
  return (COUNTED.reduce((sum, key) => sum + (seconds[key] ?? 0), 0) * 1000) / events;
}

/** CPU milliseconds per event of every process measured, each apart. */
export function msPerEvent(
  seconds: Readonly<Record<string, number>>,
  events: number,
): Record<string, number> {
  if (events <= 0) throw new Error('a pass without events has no CPU per event');
  return Object.fromEntries(Object.entries(seconds).map(([key, s]) => [key, (s * 1000) / events]));
}

/**
 * Service CPU per event over the least any design on its shape pays: the floor (the same workflows with
 * no work) plus the direct consumer's own CPU for the IAM calls.
 */
export function floorRatio(serviceMs: number, floorMs: number, directIamMs: number): number {
  const least = floorMs + directIamMs;
  if (!(least > 0)) throw new Error('floor plus IAM cost must be positive');
  return serviceMs / least;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  count: number;
}

/** The median (of the two middle values for an even count) and the range. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], count: sorted.length };
}

export type PassKind = 'floor' | 'service' | 'direct';

/**
 * The order of the passes: floor and service alternate (floor, service, floor, service, ...), and the
 * direct consumer runs once per repeat after them.
 */
export function passOrder(repeats: number): { repeat: number; kind: PassKind }[] {
  const order: { repeat: number; kind: PassKind }[] = [];
  for (let repeat = 1; repeat <= repeats; repeat += 1) {
    for (const kind of ['floor', 'service', 'direct'] as const) order.push({ repeat, kind });
  }
  return order;
}
