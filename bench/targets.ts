// The targets of issue 4, checked against a run's results.
import type { BurstResult } from './scenarios/burst';
import type { MemoryResult } from './scenarios/memory';
import type { PhaseResult } from './scenarios/outcomes';
import type { StreamScenarioResult } from './scenarios/streams';
import type { ServiceRunResult } from './service-run';

export interface Results {
  stream?: StreamScenarioResult;
  latency?: ServiceRunResult[];
  outcomes?: PhaseResult[];
  burst?: BurstResult;
  memory?: MemoryResult;
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | 'not run';
}

/** The offered rate of the latency target. */
const TARGET_RATE = 20;

function phase(results: Results, name: string): PhaseResult | undefined {
  return results.outcomes?.find((p) => p.phase === name);
}

export function checkTargets(results: Results, burstN: number): TargetCheck[] {
  const latency = results.latency?.find((run) => run.rate === TARGET_RATE);
  const dup = phase(results, 'duplicate');
  const unchanged = phase(results, 'unchanged');
  const created = phase(results, 'created');
  const notRun = { measured: '-', met: 'not run' as const };
  // One stream per run: the plain mixed one (--dup-rate 0 --burst-rate 0) or one with duplicates and bursts.
  const mixed = results.stream?.name === 'mixed' ? results.stream : undefined;
  const dupsBursts = results.stream?.name === 'dups-bursts' ? results.stream : undefined;
  return [
    {
      target: 'duplicate: 0 IAM calls',
      ...(dup ? { measured: `${dup.perEvent.total} calls/event`, met: dup.calls.total === 0 } : notRun),
    },
    {
      target: 'unchanged: ≤ 2 IAM reads',
      ...(unchanged
        ? {
            measured: `${unchanged.perEvent.reads} reads + ${unchanged.perEvent.writes} writes/event`,
            met: unchanged.perEvent.reads <= 2 && unchanged.calls.writes === 0,
          }
        : notRun),
    },
    {
      target: 'created: ≤ 3 IAM calls',
      ...(created
        ? { measured: `${created.perEvent.total} calls/event`, met: created.perEvent.total <= 3 }
        : notRun),
    },
    {
      target: `burst of ${burstN}${results.burst?.spreadMs ? ` over ${results.burst.spreadMs} ms` : ''}: ≤ 2 IAM writes`,
      ...(results.burst
        ? {
            measured: `max ${results.burst.maxWrites}, mean ${results.burst.meanWrites.toFixed(2)} writes/burst`,
            met: results.burst.maxWrites <= 2,
          }
        : notRun),
    },
    {
      target: 'mixed stream: ≥ 0.5 × baseline throughput (--dup-rate 0 --burst-rate 0)',
      ...(mixed?.ratio
        ? {
            measured: `${mixed.ratio.concurrent} × (concurrent baseline)`,
            met: mixed.ratio.concurrent >= 0.5,
          }
        : notRun),
    },
    {
      target: 'duplicates + bursts: > 1 × baseline throughput',
      ...(dupsBursts?.ratio
        ? {
            measured: `${dupsBursts.ratio.concurrent} × (concurrent baseline)`,
            met: dupsBursts.ratio.concurrent > 1,
          }
        : notRun),
    },
    {
      target: `p95 latency < 1 s at ${TARGET_RATE} events/s`,
      ...(latency
        ? { measured: `p95 ${Math.round(latency.latencyMs.p95)} ms`, met: latency.latencyMs.p95 < 1000 }
        : notRun),
    },
    {
      target: 'worker RSS flat: last ≤ 1.2 × after first checkpoint',
      ...(results.memory
        ? {
            measured: `${results.memory.growth} × (${results.memory.events} vs ${results.memory.checkpoint} events; lowest RSS per window ${results.memory.lowGrowth} ×)`,
            met: results.memory.growth <= 1.2,
          }
        : notRun),
    },
  ];
}
