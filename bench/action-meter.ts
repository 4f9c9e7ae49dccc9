// Measures Temporal Cloud Actions over a stretch of a bench run, both ways (bench/actions.ts): the dev
// server's `action` counter read before and after, and the recorded histories of the task queue's
// workflows counted by the billing rules, only their events inside the stretch.
import type { Client } from '@temporalio/client';
import {
  billedItems,
  costPerMillionEvents,
  countsBetween,
  differences,
  SERVER_ONLY_KINDS,
  tallyItems,
  tallyServerCounts,
  type ActionTally,
  type BilledItem,
} from './actions';
import type { Environment } from './environment';
import type { Execution } from './history';
import { round } from './stats';

export interface ActionsMeasured {
  events: number;
  /** By the billing rules, from the histories. */
  history: ActionTally;
  /** The same, per workflow type (eventWorkflow, policyWorkflow). */
  historyByWorkflow: Record<string, ActionTally>;
  /** The dev server's counter: its own action types, and summed into the same kinds. */
  server?: { byType: Record<string, number>; tally: ActionTally };
  /**
   * Per event: from the histories; from the server's counter; billed: the histories' count plus what
   * only the counter sees (activity heartbeats), the best figure of what Temporal Cloud would bill.
   */
  perEvent: { history: number; server?: number; billed: number };
  /** Kinds where the two counts differ (`kind: history/server`), heartbeats aside; empty when they agree. */
  differences?: string[];
  /** Billed, at the low-volume list price. */
  usdPerMillionEvents: number;
}

/** A stretch of wall-clock time (ms since the epoch), with the server's counter at both ends. */
export interface Window {
  from: number;
  to: number;
  counterBefore?: Record<string, number>;
  counterAfter?: Record<string, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The counter once it has stopped moving: the dev server exports it with a delay of about a second, and
 * workflow tasks may still complete after the last outcome was reported.
 */
export async function settledCounter(
  env: Environment,
  quietMs = 2500,
  maxMs = 30_000,
): Promise<Record<string, number> | undefined> {
  if (!env.actionCounter) return undefined;
  const started = Date.now();
  let last = await env.actionCounter();
  let stableSince = Date.now();
  while (Date.now() - started < maxMs) {
    await sleep(500);
    const now = await env.actionCounter();
    if (JSON.stringify(now) !== JSON.stringify(last)) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      break;
    }
  }
  return last;
}

/** Opens a window: waits for the counter to settle first, so that nothing earlier falls into it. */
export async function openWindow(env: Environment): Promise<Window> {
  const counterBefore = await settledCounter(env);
  return { from: Date.now(), to: Number.POSITIVE_INFINITY, ...(counterBefore ? { counterBefore } : {}) };
}

/** Closes a window once the counter has settled (the work of its events done). */
export async function closeWindow(env: Environment, window: Window): Promise<Window> {
  const counterAfter = await settledCounter(env);
  return { ...window, to: Date.now(), ...(counterAfter ? { counterAfter } : {}) };
}

export interface RecordedItems {
  type: string;
  items: BilledItem[];
}

/** Every execution's billed items (all runs: each run is an execution of its own). */
export async function recordedItems(
  client: Client,
  executions: readonly Execution[],
): Promise<RecordedItems[]> {
  const recorded: RecordedItems[] = [];
  for (const execution of executions) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    recorded.push({ type: execution.type, items: billedItems(history.events ?? []) });
  }
  return recorded;
}

/** Both counts for one window over `events` events. */
export function measureWindow(
  recorded: readonly RecordedItems[],
  window: Window,
  events: number,
): ActionsMeasured {
  const byWorkflow: Record<string, BilledItem[]> = {};
  for (const { type, items } of recorded) (byWorkflow[type] ??= []).push(...items);
  const historyByWorkflow = Object.fromEntries(
    Object.entries(byWorkflow).map(([type, items]) => [type, tallyItems(items, window)]),
  );
  const history = tallyItems(
    recorded.flatMap((r) => r.items),
    window,
  );
  const server =
    window.counterBefore && window.counterAfter
      ? (() => {
          const byType = countsBetween(window.counterBefore, window.counterAfter);
          return { byType, tally: tallyServerCounts(byType) };
        })()
      : undefined;
  const perEvent = (n: number) => round(n / Math.max(1, events), 3);
  const serverOnly = server ? SERVER_ONLY_KINDS.reduce((sum, kind) => sum + server.tally[kind], 0) : 0;
  const billed = history.total + serverOnly;
  return {
    events,
    history,
    historyByWorkflow,
    ...(server ? { server } : {}),
    perEvent: {
      history: perEvent(history.total),
      ...(server ? { server: perEvent(server.tally.total) } : {}),
      billed: perEvent(billed),
    },
    ...(server ? { differences: differences(history, server.tally) } : {}),
    usdPerMillionEvents: round(costPerMillionEvents(billed / Math.max(1, events)), 2),
  };
}
