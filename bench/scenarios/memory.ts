// The worker's memory over a long stream: RSS sampled every `memoryCheckpoint` finished events; the
// target compares the RSS after all events with the RSS after the first checkpoint.
import { runThroughService, type ServiceRunResult } from '../service-run';
import { round } from '../stats';
import { generateStream } from '../stream';
import { taskQueueFor, type ScenarioContext } from './context';
import { streamSpec } from './streams';

export interface MemoryResult {
  events: number;
  checkpoint: number;
  /** The worker process's RSS (and its tree's, with tsx's launcher) after every checkpoint's worth of events. */
  rssAfter: { events: number; rssBytes: number; treeRssBytes: number }[];
  /** RSS after all events over RSS after the first checkpoint. */
  growth: number;
  run: ServiceRunResult;
}

export async function runMemoryScenario(context: ScenarioContext): Promise<MemoryResult> {
  const { options } = context;
  const events = generateStream(streamSpec(context, 'memory', options.memoryEvents));
  const rssAfter: MemoryResult['rssAfter'] = [];
  const run = await runThroughService(context.env, events, {
    label: 'memory',
    rate: 0,
    concurrency: options.concurrency,
    worker: context.worker,
    taskQueue: taskQueueFor(context, 'memory'),
    profileSample: 0,
    onFinished: (finished, worker) => {
      if (finished % options.memoryCheckpoint === 0 || finished === events.length) {
        rssAfter.push({ events: finished, rssBytes: worker.rss(), treeRssBytes: worker.treeRss() });
      }
    },
  });
  const first = rssAfter[0]?.rssBytes ?? 0;
  const last = rssAfter[rssAfter.length - 1]?.rssBytes ?? 0;
  return {
    events: events.length,
    checkpoint: options.memoryCheckpoint,
    rssAfter,
    growth: first > 0 ? round(last / first, 3) : 0,
    run,
  };
}
