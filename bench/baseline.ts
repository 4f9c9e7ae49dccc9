// The direct baseline: a plain consumer that applies each event to IAM itself, with the same IAM calls
// as the service (the service's own inspectPolicy, decide and applyPlan), without Temporal. It cannot
// skip duplicates (it keeps no record of what it has seen) nor coalesce (it applies every event).
//
// Per-policy serialisation: two writers of one policy at once would race (both create, or both add a
// version), so events are partitioned by policy, like a keyed consumer: within a policy they are
// applied one at a time in stream order; across policies up to `concurrency` at once. A free slot takes
// the earliest event in the stream whose policy is idle and has no earlier event waiting.
//
// Also a script: `npx tsx bench/baseline.ts FILE.ndjson --endpoint http://127.0.0.1:5000 [--concurrency N]`.
import '../src/node-version'; // first: refuses a Node older than 24
import type { IAMClient } from '@aws-sdk/client-iam';
import { readFileSync } from 'node:fs';
import { createPolicyActivities } from '../src/activities/policy-activities';
import { createIamClient, workerRetryOptions } from '../src/iam/client';
import { validateEvent } from '../src/sources/event-validation';
import { decide, decideWithoutObserving, observationInput } from '../src/domain/decide';
import type { Outcome } from '../src/domain/types';

export interface BaselineOptions {
  iam: IAMClient;
  /** Events applied at once (1: sequentially). */
  concurrency: number;
  accountId: string;
  managedByTag: { key: string; value: string };
  onFinished?: (timed: BaselineTimed) => void;
}

export interface BaselineTimed {
  index: number;
  outcome: Outcome;
  reason?: string;
  submittedAt: number;
  finishedAt: number;
}

/** With the worker's retry settings (6 attempts, adaptive): throttled, both sides retry alike. */
export function directIamClient(endpoint: string): IAMClient {
  return createIamClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...workerRetryOptions(),
  });
}

function policyKeyOf(raw: unknown, index: number): string {
  const data = (raw as { data?: { policyName?: unknown } } | null)?.data;
  // An event without a name is rejected by validation; give it a partition of its own.
  return typeof data?.policyName === 'string' ? data.policyName.toLowerCase() : `#${index}`;
}

export async function runBaseline(
  events: readonly unknown[],
  options: BaselineOptions,
): Promise<BaselineTimed[]> {
  const activities = createPolicyActivities({
    iam: options.iam,
    accountId: () => Promise.resolve(options.accountId),
    managedByTag: options.managedByTag,
  });
  const reservedTagKeys = [options.managedByTag.key];

  async function apply(raw: unknown): Promise<{ outcome: Outcome; reason?: string }> {
    const validation = validateEvent(raw, { reservedTagKeys });
    if (!validation.ok) return { outcome: 'rejected', reason: validation.reason };
    const { event } = validation;
    const early = decideWithoutObserving(event);
    if (early) return { outcome: early.outcome, reason: early.reason };
    try {
      const observation = await activities.inspectPolicy(observationInput(event));
      const decision = decide(event, observation);
      if (decision.kind === 'none') return { outcome: decision.outcome, reason: decision.reason };
      const written = await activities.applyPlan(decision);
      return { outcome: written.outcome, reason: written.reason };
    } catch (error) {
      return { outcome: 'failed', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  const keys = events.map((raw, index) => policyKeyOf(raw, index));
  const started: boolean[] = events.map(() => false);
  const busy = new Set<string>();
  let firstUnstarted = 0;
  const results: BaselineTimed[] = [];

  /** The earliest unstarted event whose policy is idle and has no earlier unstarted event. */
  function takeNext(): number | undefined {
    while (firstUnstarted < events.length && started[firstUnstarted]) firstUnstarted += 1;
    const blocked = new Set(busy);
    for (let index = firstUnstarted; index < events.length; index += 1) {
      if (started[index]) continue;
      if (!blocked.has(keys[index])) return index;
      blocked.add(keys[index]);
    }
    return undefined;
  }

  // A slot that finds nothing to do waits until another slot finishes an event (which frees a policy).
  let wake: (() => void) | undefined;
  let idle: Promise<void> = new Promise((resolve) => (wake = resolve));
  const notify = () => {
    wake?.();
    idle = new Promise((resolve) => (wake = resolve));
  };

  async function slot(): Promise<void> {
    for (;;) {
      const index = takeNext();
      if (index === undefined) {
        if (firstUnstarted >= events.length) return;
        await idle;
        continue;
      }
      started[index] = true;
      busy.add(keys[index]);
      const submittedAt = performance.now();
      const { outcome, reason } = await apply(events[index]);
      busy.delete(keys[index]);
      const timed: BaselineTimed = {
        index,
        outcome,
        ...(reason ? { reason } : {}),
        submittedAt,
        finishedAt: performance.now(),
      };
      results.push(timed);
      options.onFinished?.(timed);
      notify();
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, () => slot()));
  return results.sort((a, b) => a.index - b.index);
}

async function main(): Promise<void> {
  const [file, ...rest] = process.argv.slice(2);
  const flag = (name: string) => {
    const at = rest.indexOf(name);
    return at >= 0 ? rest[at + 1] : undefined;
  };
  const endpoint = flag('--endpoint') ?? process.env.AWS_ENDPOINT_URL;
  if (!file || !endpoint) {
    process.stderr.write('usage: tsx bench/baseline.ts FILE.ndjson --endpoint URL [--concurrency N]\n');
    process.exit(2);
  }
  const events = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
  const started = performance.now();
  const timings = await runBaseline(events, {
    iam: directIamClient(endpoint),
    concurrency: Number(flag('--concurrency') ?? '1'),
    accountId: process.env.AWS_ACCOUNT_ID ?? '123456789012',
    managedByTag: { key: 'managed-by', value: 'iam-policy-events' },
  });
  const seconds = (performance.now() - started) / 1000;
  const outcomes: Record<string, number> = {};
  for (const { outcome } of timings) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  process.stdout.write(
    `${JSON.stringify({ events: timings.length, seconds, eventsPerSecond: timings.length / seconds, outcomes })}\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`baseline: ${String(error)}\n`);
    process.exit(1);
  });
}
