// How many workflows the worker keeps cached when WORKER_MAX_CACHED_WORKFLOWS is not set.
//
// The SDK derives its default from the V8 heap limit at about 1.7 MiB per workflow (600 per GiB above
// 200 MiB). This service's workflows are far smaller: with 200 policies in use, the workflow thread retains
// 23 MiB with about 10 cached and 46 MiB with all of them, after a full collection, at any point of a
// 10,000-event run (BENCHMARKS.md §6): about 0.12 MiB per policy workflow, event workflows leave the cache
// when they close. A policy's record of its last 200 results adds up to 0.12 MiB more once full (after
// 200 events of it; bench/recent-results-size.ts). Under a heap limit (NODE_OPTIONS=--max-old-space-size,
// which applies to each thread) the SDK's default falls below the policies in use, 60 at 256 MiB, and then
// nearly every event replays its policy's history. So: 64 MiB for the thread itself, then 0.5 MiB per
// workflow (twice what one retains with a full record: room for garbage and larger documents).

const BASE_MIB = 64;
const PER_WORKFLOW_MIB = 0.5;
const MINIMUM = 10;

/** The cache size for a workflow thread whose V8 heap may grow to `heapLimitMiB`. */
export function defaultMaxCachedWorkflows(heapLimitMiB: number): number {
  return Math.max(Math.floor((heapLimitMiB - BASE_MIB) / PER_WORKFLOW_MIB), MINIMUM);
}
