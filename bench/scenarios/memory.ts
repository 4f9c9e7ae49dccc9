// The worker's memory over a long stream: RSS sampled every `memoryCheckpoint` finished events; the
// target compares the RSS after all events with the RSS after the first checkpoint. RSS at one moment
// mostly says where V8's collection cycle was, so the lowest RSS of each window between checkpoints
// (sampled twice a second: the troughs, just after collections) is kept too, as what the worker retains.
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
  run: ServiceRunResult;
}

export async function runMemoryScenario(context: ScenarioContext): Promise<MemoryResult> {
  const { options } = context;
  const events = generateStream(streamSpec(context, 'memory', options.memoryEvents));
  const rssAfter: MemoryResult['rssAfter'] = [];
  let sampled: WorkerProcess | undefined;
  let windowLow = Number.POSITIVE_INFINITY;
  const sampler = setInterval(() => {
    if (sampled) windowLow = Math.min(windowLow, sampled.rss());
  }, 500);
  let run: ServiceRunResult;
  try {
    run = await runThroughService(context.env, events, {
      label: 'memory',
      rate: 0,
      concurrency: options.concurrency,
      worker: context.worker,
      taskQueue: taskQueueFor(context, 'memory'),
      profileSample: 0,
      onFinished: (finished, worker) => {
        sampled = worker;
        if (finished % options.memoryCheckpoint === 0 || finished === events.length) {
          const rssBytes = worker.rss();
          const lowRssBytes = Math.min(windowLow, rssBytes);
          rssAfter.push({ events: finished, rssBytes, treeRssBytes: worker.treeRss(), lowRssBytes });
          windowLow = Number.POSITIVE_INFINITY;
        }
      },
    });
  } finally {
    clearInterval(sampler);
  }
  const first = rssAfter[0]?.rssBytes ?? 0;
  const last = rssAfter[rssAfter.length - 1]?.rssBytes ?? 0;
  const firstLow = rssAfter[0]?.lowRssBytes ?? 0;
  const lastLow = rssAfter[rssAfter.length - 1]?.lowRssBytes ?? 0;
  return {
    events: events.length,
    checkpoint: options.memoryCheckpoint,
    rssAfter,
    growth: first > 0 ? round(last / first, 3) : 0,
    lowGrowth: firstLow > 0 ? round(lastLow / firstLow, 3) : 0,
    run,
  };
}
