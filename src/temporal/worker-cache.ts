// How many workflows the worker keeps cached when WORKER_MAX_CACHED_WORKFLOWS is not set.
//
// The SDK derives its default from the V8 heap limit at about 1.7 MiB per workflow (600 per GiB above
// 200 MiB). This service's workflows are far smaller: with 200 policies in use, the workflow thread retains
// 23 MiB with about 10 cached and 46 MiB with all of them, after a full collection, at any point of a
// 10,000-event run (docs/decisions/worker-cache-sizing.md): 0.12 MiB per policy workflow; event workflows
// leave it when they close. A policy's record of its last 200 results adds up to 0.12 MiB more once full (after
// 200 events of it; bench/recent-results-size.ts). Under a heap limit (NODE_OPTIONS=--max-old-space-size,
// which applies to each thread) the SDK's default falls below the policies in use, 60 at 256 MiB on Node 20,
// and then nearly every event replays its policy's history. So: 64 MiB for the thread itself, then 0.5 MiB
// per workflow (twice what one retains with a full record: room for garbage and larger documents).
//
// Sized from the old space, where what the cache retains lives: --max-old-space-size is what a thread can
// retain (test/unit/heap-limit-threads.test.ts). V8's heap_size_limit adds the young generation on top,
// which only holds short-lived objects: 48 MiB on Node 20, but 192 MiB on Node 24 (--max-old-space-size=256
// gives a heap_size_limit of 448 MiB there, which would size the cache for 768 workflows, 0.5 MiB each:
// more than the 256 MiB they may take).

import { getHeapStatistics } from 'node:v8';

const BASE_MIB = 64;
const PER_WORKFLOW_MIB = 0.5;
const MINIMUM = 10;

/** The cache size for a workflow thread whose old space may grow to `oldSpaceMiB`. */
export function defaultMaxCachedWorkflows(oldSpaceMiB: number): number {
  return Math.max(Math.floor((oldSpaceMiB - BASE_MIB) / PER_WORKFLOW_MIB), MINIMUM);
}

// V8 reads a flag's name with - and _ alike; only the `=` form is accepted for a value.
const OLD_SPACE_FLAG = /^--max[-_]old[-_]space[-_]size=(\d+)$/;

/**
 * The old-space limit of this process's threads in MiB: the last --max-old-space-size in NODE_OPTIONS
 * or on node's command line (which comes after NODE_OPTIONS: the one V8 keeps). Without one, V8's own
 * heap limit (about 4 GiB on a 64-bit machine with enough memory, or what --max-old-space-size-percentage
 * gives), young generation included: at that size its 192 MiB no longer matter much.
 */
export function oldSpaceLimitMiB(
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
  execArgv: readonly string[] = process.execArgv,
  heapSizeLimitMiB: number = getHeapStatistics().heap_size_limit / 2 ** 20,
): number {
  let flag: number | undefined;
  for (const arg of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const match = OLD_SPACE_FLAG.exec(arg);
    if (match) flag = Number(match[1]);
  }
  return flag !== undefined && flag > 0 ? flag : heapSizeLimitMiB;
}
