// The run's results as text tables (stdout) and as JSON (formatted like the repository's other files).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { BaselineRunResult } from './baseline-run';
import { cpuMsPerEvent, type ServiceRunResult } from './service-run';
import type { Spread } from './floor/ratio';
import type { FloorPass } from './scenarios/floor-ratio';
import type { LatencySummary } from './stats';
import { actionWindows, type Results, type TargetCheck } from './targets';
import { ACTION_KINDS, type ActionTally } from './actions';

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)}`;
const ms = (value: number) => `${Math.round(value)}`;
const fixed = (value: number, digits = 1) => value.toFixed(digits);

function cores(cpu: { cores: Record<string, number> }): string {
  // postgres: a local cluster's (--temporal-pids-from).
  return ['worker', 'temporal', 'postgres', 'moto', 'bench', 'others']
    .filter((key) => key !== 'postgres' || key in cpu.cores)
    .map((key) => `${key[0]}${fixed(cpu.cores[key] ?? 0, 2)}`)
    .join(' ');
}

function serviceRow(run: ServiceRunResult): (string | number)[] {
  const l = run.latencyMs;
  return [
    run.label,
    run.throughput.events,
    run.rate > 0 ? `${run.rate}/s` : `full (${run.concurrency})`,
    fixed(run.throughput.eventsPerSecond),
    fixed(run.throughput.steadyEventsPerSecond),
    `${ms(l.p50)}/${ms(l.p95)}/${ms(l.p99)}/${ms(l.max)}`,
    fixed(run.iam.perEvent, 2),
    fixed(run.history.perEvent, 1),
    `${mib(run.worker.peakRssBytes)}/${mib(run.worker.endRssBytes)}`,
    cores(run.cpu),
    cpuMsPerEvent(run.cpu, run.throughput.events).total,
  ];
}

function baselineRow(run: BaselineRunResult): (string | number)[] {
  const l = run.applyLatencyMs;
  return [
    run.label,
    run.throughput.events,
    `full (${run.concurrency})`,
    fixed(run.throughput.eventsPerSecond),
    fixed(run.throughput.steadyEventsPerSecond),
    `${ms(l.p50)}/${ms(l.p95)}/${ms(l.p99)}/${ms(l.max)}`,
    fixed(run.iam.perEvent, 2),
    '-',
    '-',
    cores(run.cpu),
    cpuMsPerEvent(run.cpu, run.throughput.events).total,
  ];
}

/** Nonzero kinds per event, e.g. `workflowStarted 1, update 1, localActivities 2`. */
function kindsPerEvent(tally: ActionTally, events: number): string {
  return (
    ACTION_KINDS.filter((kind) => tally[kind] > 0)
      .map((kind) => `${kind} ${fixed(tally[kind] / Math.max(1, events), 2)}`)
      .join(', ') || '-'
  );
}

function actionsTable(results: Results): string | undefined {
  const windows = actionWindows(results);
  if (windows.length === 0) return undefined;
  return (
    "Temporal Cloud Actions per event (histories by the billing rules / the dev server's action counter / " +
    'billed: the histories plus the heartbeats only the counter sees; USD per million events at $50 per ' +
    'million Actions)\n' +
    table(
      [
        'stretch',
        'events',
        'history',
        'server',
        'billed',
        'USD/M events',
        'by kind (history; heartbeats: counter), per event',
        'differ',
      ],
      windows.map(({ name, actions }) => [
        name,
        actions.events,
        fixed(actions.perEvent.history, 2),
        actions.perEvent.server !== undefined ? fixed(actions.perEvent.server, 2) : '-',
        fixed(actions.perEvent.billed, 2),
        fixed(actions.usdPerMillionEvents, 0),
        kindsPerEvent(
          { ...actions.history, activityHeartbeat: actions.server?.tally.activityHeartbeat ?? 0 },
          actions.events,
        ),
        actions.differences === undefined ? '-' : actions.differences.join(', ') || 'no',
      ]),
    )
  );
}

function realisticTable(results: Results): string | undefined {
  const realistic = results.realisticIam;
  if (!realistic) return undefined;
  const e = realistic.emulation;
  const rows: (string | number)[][] = [];
  for (const stream of realistic.streams) {
    for (const pass of stream.passes) {
      const s = pass.service;
      const b = pass.baseline;
      rows.push([
        s.label,
        fixed(s.throughput.eventsPerSecond),
        `${ms(s.latencyMs.p50)}/${ms(s.latencyMs.p95)}`,
        fixed(s.iam.perEvent, 2),
        s.iam.throttled.total,
        (s.outcomes.failed ?? 0) + (s.outcomes.rejected ?? 0),
        cpuMsPerEvent(s.cpu, s.throughput.events).total,
        '',
      ]);
      rows.push([
        b.label,
        fixed(b.throughput.eventsPerSecond),
        `${ms(b.applyLatencyMs.p50)}/${ms(b.applyLatencyMs.p95)}`,
        fixed(b.iam.perEvent, 2),
        b.iam.throttled.total,
        (b.outcomes.failed ?? 0) + (b.outcomes.rejected ?? 0),
        cpuMsPerEvent(b.cpu, b.throughput.events).total,
        `${pass.ratio} ×`,
      ]);
    }
  }
  return (
    `Realistic IAM (${e.latencyMs} ± ${e.latencyJitterMs ?? 0} ms per call; per-API buckets of ` +
    `${e.throttle?.readsPerSecond} reads/s and ${e.throttle?.writesPerSecond} writes/s answering Throttling)\n` +
    table(
      [
        'pass',
        'ev/s',
        'latency p50/p95 ms',
        'IAM calls/ev',
        'throttled',
        'failed',
        'CPU ms/ev',
        'service/direct',
      ],
      rows,
    )
  );
}

function floorPassRow(pass: FloorPass, ratio: string): (string | number)[] {
  const c = pass.cpuMsPerEvent;
  const part = (key: string) => fixed(c[key] ?? 0, 2);
  return [
    pass.label,
    fixed(pass.eventsPerSecond),
    part('worker'),
    part('temporal'),
    part('bench'),
    fixed(pass.countedMsPerEvent, 2),
    `${part('moto')}/${part('proxy')}`,
    fixed(pass.othersCores, 2),
    fixed(pass.iam.perEvent, 2),
    ratio,
  ];
}

const range = (s: Spread, digits: number) =>
  `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;

function floorRatioTable(results: Results): string | undefined {
  const floor = results.floorRatio;
  if (!floor) return undefined;
  const rows: (string | number)[][] = [];
  for (const stream of floor.streams) {
    for (const r of stream.repeats) {
      rows.push(
        floorPassRow(r.floor, ''),
        floorPassRow(r.service, ''),
        floorPassRow(r.direct, `${r.ratio} ×`),
      );
    }
  }
  const summary = floor.streams.map((s) => [
    s.name,
    s.repeats.length,
    range(s.summary.floor, 2),
    range(s.summary.direct, 2),
    range(s.summary.service, 2),
    `${range(s.summary.ratio, 3)} ×`,
    s.summary.ratio.median <= floor.target ? 'yes' : 'NO',
    // Absent in results from before the bench read the histories.
    s.summary.floorHistoryBytes ? range(s.summary.floorHistoryBytes, 0) : '–',
    s.summary.serviceHistoryBytes ? range(s.summary.serviceHistoryBytes, 0) : '–',
  ]);
  return (
    'The limit (issue 22): CPU ms per event of worker (w), dev server (t) and this process, the submitting\n' +
    'client or the direct consumer (b); counted = w + t + b (direct: b, its own CPU for the IAM calls);\n' +
    'moto/proxy measured apart, not counted; others: cores other processes kept busy during the pass;\n' +
    'ratio = service / (floor + direct)\n' +
    table(['pass', 'ev/s', 'w', 't', 'b', 'counted', 'moto/proxy', 'others cores', 'IAM/ev', 'ratio'], rows) +
    `\n\nMedian (min–max) over the repeats, CPU ms per event; target: ratio ≤ ${floor.target} ×\n` +
    table(
      ['stream', 'repeats', 'floor', 'direct IAM', 'service', 'ratio', 'met', 'floor B/ev', 'service B/ev'],
      summary,
    ) +
    '\n(B/ev: history bytes per event, event and policy workflows, as the server counts them)'
  );
}

function summaryRow(name: string, s: LatencySummary): string[] {
  return [name, String(s.count), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)];
}

/** `whatIf`: IAM was emulated (latency, rate limit), so the targets' verdicts are labelled as such. */
export function renderText(results: Results, targets: TargetCheck[], whatIf = false): string {
  const parts: string[] = [];
  const runs: (string | number)[][] = [];
  for (const stream of [results.stream]) {
    if (!stream) continue;
    runs.push(serviceRow(stream.service));
    if (stream.baselineSequential) runs.push(baselineRow(stream.baselineSequential));
    if (stream.baselineConcurrent) runs.push(baselineRow(stream.baselineConcurrent));
  }
  for (const run of results.latency ?? []) runs.push(serviceRow(run));
  if (results.memory) runs.push(serviceRow(results.memory.run));
  if (runs.length > 0) {
    parts.push(
      'Runs (latency: submit → final outcome, ms p50/p95/p99/max; RSS in MiB; baseline: time to apply one event;\n' +
        'CPU: cores busy on average — w worker (all its processes, --workers), t Temporal dev server (or a local\n' +
        "cluster's four services, p its PostgreSQL), m moto, b this process incl. proxy, o other processes on the\n" +
        'machine, not ours; CPU ms/ev: ours only)\n' +
        table(
          [
            'run',
            'events',
            'offered',
            'ev/s',
            'steady',
            'latency ms',
            'IAM/ev',
            'hist/ev',
            'worker RSS peak/end',
            'CPU cores',
            'CPU ms/ev',
          ],
          runs,
        ),
    );
  }
  for (const stream of [results.stream]) {
    if (!stream?.ratio || !stream.baselineConcurrent) continue;
    parts.push(
      `${stream.name}: service ${fixed(stream.service.throughput.eventsPerSecond)} ev/s = ` +
        `${stream.ratio.concurrent} × concurrent baseline, ${stream.ratio.sequential} × sequential baseline; ` +
        `kinds ${JSON.stringify(stream.kinds)}; service outcomes ${JSON.stringify(stream.service.outcomes)}; ` +
        `baseline outcomes ${JSON.stringify(stream.baselineConcurrent.outcomes)}`,
    );
  }
  if (results.outcomes) {
    parts.push(
      'IAM calls per event by outcome (phases of one outcome each, counted at the proxy)\n' +
        table(
          ['phase', 'events', 'outcomes', 'calls/ev', 'reads/ev', 'writes/ev', 'actions/ev'],
          results.outcomes.map((p) => [
            p.phase,
            p.events,
            Object.entries(p.outcomes)
              .map(([k, v]) => `${k} ${v}`)
              .join(', '),
            p.perEvent.total,
            p.perEvent.reads,
            p.perEvent.writes,
            Object.entries(p.actionsPerEvent)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ') || '-',
          ]),
        ),
    );
  }
  if (results.burst) {
    const b = results.burst;
    parts.push(
      `Bursts of ${b.n} upserts to one policy (${b.spreadMs > 0 ? `submitted over ${b.spreadMs} ms` : 'submitted at once'}): ` +
        `writes per burst ${b.bursts.map((x) => x.calls.writes).join(', ')} (max ${b.maxWrites}, mean ${fixed(b.meanWrites, 2)}); ` +
        `settled in ${b.bursts.map((x) => fixed(x.seconds, 2)).join(', ')} s; ` +
        `calls per burst ${fixed(b.meanCalls, 1)}; direct baseline: ${fixed(b.baseline.meanWrites, 1)} writes, ` +
        `${fixed(b.baseline.meanCalls, 1)} calls per burst`,
    );
  }
  if (results.memory) {
    const m = results.memory;
    parts.push(
      `Worker process RSS after N events: ` +
        m.rssAfter.map((c) => `${c.events}: ${mib(c.rssBytes)} MiB`).join(', ') +
        ` → ${m.growth} × the first checkpoint`,
      `Lowest RSS in each window before those checkpoints (sampled every 0.5 s: just after collections): ` +
        m.rssAfter.map((c) => `${c.events}: ${mib(c.lowRssBytes)} MiB`).join(', ') +
        ` → ${m.lowGrowth} × the first window`,
    );
    if (m.heap) {
      parts.push(
        `After a full collection in every worker thread (--heap-probe), heap used per thread and RSS, MiB: ` +
          m.heap
            .map(
              (h) =>
                `${h.events}: ${Object.values(h.usedBytes)
                  .map((n) => mib(n))
                  .join(' + ')} (RSS ${mib(h.rssAfterGc)})`,
            )
            .join(', ') +
          ` → heap ${m.heapGrowth} × the first checkpoint`,
      );
    }
  }
  const actions = actionsTable(results);
  if (actions) parts.push(actions);
  const realistic = realisticTable(results);
  if (realistic) parts.push(realistic);
  const floorRatio = floorRatioTable(results);
  if (floorRatio) parts.push(floorRatio);
  const profiled = [results.stream?.service, ...(results.latency ?? [])].filter(
    (r): r is ServiceRunResult => r?.profile !== undefined,
  );
  for (const run of profiled) {
    const p = run.profile!;
    const rows = [
      summaryRow('workflow task: queued', p.workflowTaskQueueMs),
      summaryRow('workflow task: run', p.workflowTaskRunMs),
      ...Object.entries(p.activities).flatMap(([type, a]) => [
        summaryRow(`${type}: queued`, a.queueMs),
        summaryRow(`${type}: run`, a.runMs),
      ]),
      summaryRow('event wf: start → delivered', p.eventPhasesMs.deliver),
      summaryRow('event wf: delivered → outcome', p.eventPhasesMs.awaitOutcome),
      summaryRow('event wf: outcome → closed', p.eventPhasesMs.close),
    ];
    parts.push(
      `Profile of ${run.label} from ${p.sampledHistories} histories (ms)\n` +
        table(['step', 'count', 'p50', 'p95', 'p99', 'max'], rows),
    );
  }
  parts.push(
    (whatIf
      ? 'Targets (issues 4 and 22), WHAT-IF: measured against emulated IAM, not a verdict on the targets\n'
      : 'Targets (issues 4 and 22)\n') +
      table(
        ['target', 'measured', 'met'],
        targets.map((t) => [t.target, t.measured, t.met === 'not run' ? 'not run' : t.met ? 'yes' : 'NO']),
      ),
  );
  return parts.join('\n\n');
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const config = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(JSON.stringify(value), { ...config, parser: 'json' }));
}
