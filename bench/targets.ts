// The targets of issues 4 and 22, checked against a run's results.
import type { ActionsMeasured } from './action-meter';
import type { BurstResult } from './scenarios/burst';
import type { LatencyRunResult } from './scenarios/latency';
import { FLOOR_RATIO_TARGET, type FloorRatioResult } from './scenarios/floor-ratio';
import type { MemoryResult } from './scenarios/memory';
import type { PhaseResult } from './scenarios/outcomes';
import type { RealisticIamResult, RealisticStream } from './scenarios/realistic-iam';
import type { StreamScenarioResult } from './scenarios/streams';

export interface Results {
  stream?: StreamScenarioResult;
  latency?: LatencyRunResult[];
  outcomes?: PhaseResult[];
  burst?: BurstResult;
  memory?: MemoryResult;
  realisticIam?: RealisticIamResult;
  floorRatio?: FloorRatioResult;
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | 'not run';
}

function phase(results: Results, name: string): PhaseResult | undefined {
  return results.outcomes?.find((p) => p.phase === name);
}

/** Actions per event as billed: the histories' count and the heartbeats only the server counts. */
function actionsPerEvent(actions: ActionsMeasured): number {
  return actions.perEvent.billed;
}

/** Every measured stretch of Temporal Cloud Actions in the run, named. */
export function actionWindows(results: Results): { name: string; actions: ActionsMeasured }[] {
  const windows: { name: string; actions: ActionsMeasured }[] = [];
  for (const p of results.outcomes ?? []) {
    if (p.temporalActions) windows.push({ name: p.phase, actions: p.temporalActions });
  }
  for (const [index, burst] of (results.burst?.bursts ?? []).entries()) {
    if (burst.temporalActions) windows.push({ name: `burst ${index + 1}`, actions: burst.temporalActions });
  }
  if (results.stream)
    windows.push({ name: `${results.stream.name} stream`, actions: results.stream.service.actions });
  for (const run of results.latency ?? []) windows.push({ name: run.label, actions: run.actions });
  for (const stream of results.realisticIam?.streams ?? []) {
    for (const pass of stream.passes)
      windows.push({ name: pass.service.label, actions: pass.service.actions });
  }
  return windows;
}

function realisticTargets(results: Results): TargetCheck[] {
  const stream = (name: RealisticStream['name']) =>
    results.realisticIam?.streams.find((s) => s.name === name);
  const notRun = { measured: '-', met: 'not run' as const };
  const ratioTarget = (name: RealisticStream['name'], least: number, label: string): TargetCheck => {
    const s = stream(name);
    return {
      target: `realistic IAM, ${label}: ≥ ${least} × the direct consumer's throughput`,
      ...(s
        ? {
            measured: `${s.passes.map((p) => `${p.ratio} ×`).join(', ')}`,
            met: s.passes.every((p) => p.ratio >= least),
          }
        : notRun),
    };
  };
  const all = results.realisticIam?.streams ?? [];
  return [
    ratioTarget('dups-bursts', 1.5, 'duplicates + bursts'),
    ratioTarget('mixed', 1, 'plain mixed stream'),
    {
      target: 'realistic IAM: fewer throttled calls than the direct consumer, both streams (service/direct)',
      ...(all.length > 0
        ? {
            measured: all
              .map(
                (s) =>
                  `${s.name} ${s.passes.map((p) => `${p.service.iam.throttled.total}/${p.baseline.iam.throttled.total}`).join(', ')}`,
              )
              .join('; '),
            // Neither throttled at all counts as met: the service was not throttled more.
            met: all.every((s) =>
              s.passes.every(
                (p) =>
                  p.service.iam.throttled.total < p.baseline.iam.throttled.total ||
                  p.service.iam.throttled.total === 0,
              ),
            ),
          }
        : notRun),
    },
  ];
}

function actionTargets(results: Results): TargetCheck[] {
  const notRun = { measured: '-', met: 'not run' as const };
  const dup = phase(results, 'duplicate')?.temporalActions;
  const others = [
    ...(results.outcomes ?? [])
      .filter((p) => p.phase !== 'duplicate' && p.temporalActions)
      .map((p) => ({ name: p.phase, perEvent: actionsPerEvent(p.temporalActions!) })),
    ...(results.burst?.bursts.some((b) => b.temporalActions)
      ? [
          {
            name: 'burst',
            perEvent: Math.max(
              ...results.burst.bursts.map((b) =>
                b.temporalActions ? actionsPerEvent(b.temporalActions) : 0,
              ),
            ),
          },
        ]
      : []),
  ];
  const windows = actionWindows(results).filter((w) => w.actions.differences !== undefined);
  const differing = windows.filter((w) => (w.actions.differences ?? []).length > 0);
  return [
    {
      target: 'duplicate delivery: 0 Temporal Cloud Actions',
      ...(dup
        ? { measured: `${actionsPerEvent(dup)} Actions/event`, met: actionsPerEvent(dup) === 0 }
        : notRun),
    },
    {
      target: 'any other event: ≤ 4 Temporal Cloud Actions',
      ...(others.length > 0
        ? {
            measured: others.map((o) => `${o.name} ${o.perEvent}`).join(', '),
            met: others.every((o) => o.perEvent <= 4),
          }
        : notRun),
    },
    {
      target: "Actions: the histories' count and the server's counter agree",
      ...(windows.length > 0
        ? {
            measured:
              differing.length === 0
                ? `${windows.length} stretches, all equal`
                : differing.map((w) => `${w.name}: ${(w.actions.differences ?? []).join(', ')}`).join('; '),
            met: differing.length === 0,
          }
        : notRun),
    },
  ];
}

export function checkTargets(results: Results, burstN: number): TargetCheck[] {
  const latency = results.latency?.find((run) => run.saturationEventsPerSecond !== undefined);
  const dup = phase(results, 'duplicate');
  const unchanged = phase(results, 'unchanged');
  const created = phase(results, 'created');
  const notRun = { measured: '-', met: 'not run' as const };
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
      target: `burst of ${burstN}${results.burst?.spreadMs ? ` over ${results.burst.spreadMs} ms` : ''}: ≤ 2 policy writes (new versions)`,
      ...(results.burst
        ? {
            measured: `max ${results.burst.maxPolicyWrites} new versions (write calls with audit tags: max ${results.burst.maxWrites}, mean ${results.burst.meanWrites.toFixed(2)})`,
            met: results.burst.maxPolicyWrites <= 2,
          }
        : notRun),
    },
    ...(['mixed', 'dups-bursts'] as const).map((name): TargetCheck => {
      const stream = results.floorRatio?.streams.find((s) => s.name === name);
      const ratio = stream?.summary.ratio;
      return {
        target: `CPU per event ≤ ${FLOOR_RATIO_TARGET} × (floor + direct IAM cost), ${name === 'mixed' ? 'plain mixed stream' : 'duplicates + bursts'} (median)`,
        ...(ratio
          ? {
              measured: `${ratio.median} × (${ratio.min}–${ratio.max}, ${ratio.count} passes)`,
              met: ratio.median <= FLOOR_RATIO_TARGET,
            }
          : notRun),
      };
    }),
    {
      target: 'p95 latency < 1 s at half of saturation (the stream at full speed)',
      ...(latency
        ? {
            measured: `p95 ${Math.round(latency.latencyMs.p95)} ms at ${latency.rate} events/s (saturation ${latency.saturationEventsPerSecond?.toFixed(1)})`,
            met: latency.latencyMs.p95 < 1000,
          }
        : notRun),
    },
    ...actionTargets(results),
    ...realisticTargets(results),
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
