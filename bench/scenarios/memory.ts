// The worker's memory over a long stream: RSS sampled every `memoryCheckpoint` finished events; the
// target compares the RSS after all events with the RSS after the first checkpoint. RSS at one moment
// mostly says where V8's collection cycle was, so the lowest RSS of each window between checkpoints
// (sampled twice a second: the troughs, just after collections) is kept too. With --heap-probe every
// checkpoint also forces a full collection in each of the worker's threads and records their heaps after
// it (bench/heap-probe.ts): what the worker retains, apart from when V8 happens to collect.
import { rmSync } from 'node:fs';
import { readHeapProbeLines } from '../heap-probe';
import { runThroughService, type ServiceRunResult } from '../service-run';
import type { WorkerProcess } from '../worker-process';
import { round } from '../stats';
import { generateStream } from '../stream';
import { taskQueueFor, type ScenarioContext } from './context';
import { streamSpec } from './streams';

export interface MemoryResult {
  events: number;
  checkpoint: number;
  /** The worker process's RSS (and its tree's, with tsx's launcher) after every checkpoint's worth of events. */
  rssAfter: { events: number; rssBytes: number; treeRssBytes: number; lowRssBytes: number }[];
  /** RSS after all events over RSS after the first checkpoint. */
  growth: number;
  /** The last window's lowest RSS over the first window's. */
  lowGrowth: number;
  /** With --heap-probe: after each checkpoint's forced collections, every thread's heap and the RSS. */
  heap?: { events: number; rssAfterGc: number; usedBytes: Record<string, number>; totalBytes: number }[];
  /** Used heap of all threads after collection, last checkpoint over first. */
  heapGrowth?: number;
  run: ServiceRunResult;
}

export async function runMemoryScenario(context: ScenarioContext): Promise<MemoryResult> {
  const { options } = context;
  const events = generateStream(streamSpec(context, 'memory', options.memoryEvents));
  const rssAfter: MemoryResult['rssAfter'] = [];
  const probeFile = options.heapProbe ? `${options.out}.heap-probe.jsonl` : undefined;
  // One worker process whatever --workers says: the scenario follows one process's memory.
  const worker = { ...(probeFile ? probedWorker(context, probeFile) : context.worker), count: 1 };
  if (probeFile) rmSync(probeFile, { force: true });
  let sampled: WorkerProcess | undefined;
  let windowLow = Number.POSITIVE_INFINITY;
  const sampler = setInterval(() => {
    if (sampled) windowLow = Math.min(windowLow, sampled.rss());
  }, 500);
  let run: ServiceRunResult;
  let heap: MemoryResult['heap'];
  try {
    run = await runThroughService(context.env, events, {
      label: 'memory',
      rate: 0,
      concurrency: options.concurrency,
      worker,
      taskQueue: taskQueueFor(context, 'memory'),
      profileSample: 0,
      onFinished: (finished, running) => {
        sampled = running;
        if (finished % options.memoryCheckpoint === 0 || finished === events.length) {
          const rssBytes = running.rss();
          const lowRssBytes = Math.min(windowLow, rssBytes);
          rssAfter.push({ events: finished, rssBytes, treeRssBytes: running.treeRss(), lowRssBytes });
          windowLow = Number.POSITIVE_INFINITY;
          // After the RSS is read: the probe's collections would lower it.
          if (probeFile) running.signal('SIGUSR2');
        }
      },
      afterEvents: async () => {
        if (probeFile) heap = await probedHeaps(probeFile, rssAfter);
      },
    });
  } finally {
    clearInterval(sampler);
  }
  const first = rssAfter[0]?.rssBytes ?? 0;
  const last = rssAfter[rssAfter.length - 1]?.rssBytes ?? 0;
  const firstLow = rssAfter[0]?.lowRssBytes ?? 0;
  const lastLow = rssAfter[rssAfter.length - 1]?.lowRssBytes ?? 0;
  const heapUsed = (h: NonNullable<MemoryResult['heap']>[number] | undefined) =>
    h ? Object.values(h.usedBytes).reduce((sum, n) => sum + n, 0) : 0;
  return {
    events: events.length,
    checkpoint: options.memoryCheckpoint,
    rssAfter,
    growth: first > 0 ? round(last / first, 3) : 0,
    lowGrowth: firstLow > 0 ? round(lastLow / firstLow, 3) : 0,
    ...(heap
      ? { heap, heapGrowth: heapUsed(heap[0]) > 0 ? round(heapUsed(heap.at(-1)) / heapUsed(heap[0]), 3) : 0 }
      : {}),
    run,
  };
}

/** The worker settings with the heap probe on (through bench/tuned-worker.ts unless another entry was given). */
function probedWorker(context: ScenarioContext, probeFile: string): ScenarioContext['worker'] {
  const { worker, options } = context;
  const snapshots: Record<string, string> =
    options.heapSnapshots.length > 0
      ? {
          BENCH_HEAP_SNAPSHOT_DIR: `${options.out}.heap-snapshots`,
          BENCH_HEAP_SNAPSHOT_AT: options.heapSnapshots.join(','),
        }
      : {};
  return {
    ...worker,
    entry: worker.entry === 'src/worker.ts' ? 'bench/tuned-worker.ts' : worker.entry,
    env: { ...worker.env, BENCH_HEAP_PROBE: probeFile, ...snapshots },
  };
}

/** The probe's lines, one per checkpoint (the last may still be written when the pass ends: wait for it). */
async function probedHeaps(
  file: string,
  checkpoints: MemoryResult['rssAfter'],
): Promise<NonNullable<MemoryResult['heap']>> {
  const read = () => readHeapProbeLines(file);
  let lines = read();
  for (let waited = 0; lines.length < checkpoints.length && waited < 60_000; waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    lines = read();
  }
  return lines.map((line, i) => ({
    events: checkpoints[i]?.events ?? 0,
    rssAfterGc: line.rssAfter,
    usedBytes: Object.fromEntries(line.threads.map((t) => [t.thread, t.after.usedSize])),
    totalBytes: line.threads.reduce((sum, t) => sum + t.after.totalSize, 0),
  }));
}
