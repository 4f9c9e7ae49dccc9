// Several worker processes on one task queue for a pass (--workers N): started and stopped together,
// seen by the pass as one worker (memory and CPU summed), and read per process for the breakdown.
import { round } from './stats';
import type { WorkerProcess } from './worker-process';

/** One worker process's share of a pass. */
export interface WorkerShare {
  /** CPU seconds over the pass (the same stretch as the pass's `cpu`). */
  cpuSeconds: number;
  cpuMsPerEvent: number;
  /** Share of the pass's wall time the process was busy (1 = one core). */
  cores: number;
  peakRssBytes: number;
  endRssBytes: number;
}

/**
 * Each process's CPU over the pass from its readings at both ends, per event of the whole pass (all
 * processes served the same events: their per-event figures add up to the pass's).
 */
export function workerShares(
  readings: readonly { cpuBefore: number; cpuAfter: number; peakRssBytes: number; endRssBytes: number }[],
  events: number,
  wallSeconds: number,
): WorkerShare[] {
  return readings.map((r) => {
    const seconds = r.cpuAfter - r.cpuBefore;
    return {
      cpuSeconds: round(seconds, 1),
      cpuMsPerEvent: round((seconds * 1000) / Math.max(1, events), 1),
      cores: round(wallSeconds > 0 ? seconds / wallSeconds : 0, 2),
      peakRssBytes: r.peakRssBytes,
      endRssBytes: r.endRssBytes,
    };
  });
}

/** The processes as one worker: memory and CPU summed, a signal to each, the first crash, stop all. */
export function groupOf(workers: readonly WorkerProcess[]): WorkerProcess {
  if (workers.length === 0) throw new Error('a worker group needs at least one worker process');
  if (workers.length === 1) return workers[0];
  const sum = (read: (w: WorkerProcess) => number) => () => workers.reduce((total, w) => total + read(w), 0);
  const crashed = Promise.race(workers.map((w) => w.crashed));
  crashed.catch(() => undefined); // Handled by whoever races against it, as for one worker.
  return {
    rss: sum((w) => w.rss()),
    peakRss: sum((w) => w.peakRss()),
    treeRss: sum((w) => w.treeRss()),
    cpuSeconds: sum((w) => w.cpuSeconds()),
    signal: (name) => workers.forEach((w) => w.signal(name)),
    crashed,
    stop: async () => {
      await Promise.all(workers.map((w) => w.stop()));
    },
  };
}

/** Starts `count` workers at once; if one fails to start, stops the others before failing. */
export async function startGroup(
  count: number,
  start: () => Promise<WorkerProcess>,
): Promise<WorkerProcess[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => start()));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const workers = started
    .filter((s): s is PromiseFulfilledResult<WorkerProcess> => s.status === 'fulfilled')
    .map((s) => s.value);
  if (failed) {
    await Promise.all(workers.map((w) => w.stop()));
    throw failed.reason;
  }
  return workers;
}
