// Which task queue an account's work runs on. Accounts listed in TEMPORAL_ACCOUNT_TASK_QUEUES get their
// own (the base queue's name, `@`, the account ID): their event and policy workflows are dispatched apart
// from every other account's, so a backlog in one never queues in front of another's tasks. Every other
// account, and the default one, stays on the base queue.

export interface TaskQueueRouting {
  /** TEMPORAL_TASK_QUEUE. */
  base: string;
  /** The accounts with a task queue of their own (TEMPORAL_ACCOUNT_TASK_QUEUES). */
  accounts: readonly string[];
}

/** The name of an account's own task queue. */
export function accountTaskQueue(base: string, account: string): string {
  return `${base}@${account}`;
}

/** Where the work of `account` runs (undefined: the worker's default account). */
export function taskQueueOf(routing: TaskQueueRouting, account: string | undefined): string {
  return account !== undefined && routing.accounts.includes(account)
    ? accountTaskQueue(routing.base, account)
    : routing.base;
}

/** Every task queue the service's workflows may run on: the base queue first. */
export function allTaskQueues(routing: TaskQueueRouting): string[] {
  return [routing.base, ...routing.accounts.map((account) => accountTaskQueue(routing.base, account))];
}

/** The word WORKER_ACCOUNTS uses for the base queue (the default account and every unlisted one). */
export const BASE_QUEUE_ACCOUNTS = 'default';

/**
 * The task queues one worker polls: `polled` names them by account (WORKER_ACCOUNTS: `default` for the
 * base queue, else an account whose own queue to poll); absent, all of the service's. An account off
 * TEMPORAL_ACCOUNT_TASK_QUEUES may be named too: its queue still holds the policy workflows that ran there
 * until each moves back with its next event.
 */
export function polledTaskQueues(routing: TaskQueueRouting, polled?: readonly string[]): string[] {
  if (polled === undefined) return allTaskQueues(routing);
  const accounts = polled.filter((name) => name !== BASE_QUEUE_ACCOUNTS);
  return [
    ...(polled.includes(BASE_QUEUE_ACCOUNTS) ? [routing.base] : []),
    ...[...new Set(accounts)].map((account) => accountTaskQueue(routing.base, account)),
  ];
}

/** Why WORKER_ACCOUNTS cannot be served, or undefined. `allowed`: IAM_ACCOUNTS. */
export function polledAccountsProblem(
  polled: readonly string[],
  allowed: readonly string[],
): string | undefined {
  if (polled.length === 0) return 'names no task queue to poll';
  const unknown = polled.filter((name) => name !== BASE_QUEUE_ACCOUNTS && !allowed.includes(name));
  if (unknown.length === 0) return undefined;
  return (
    `names ${unknown.join(', ')}, not in IAM_ACCOUNTS (${allowed.length > 0 ? allowed.join(', ') : 'empty'}): ` +
    `name ${BASE_QUEUE_ACCOUNTS} for the base queue, or accounts the service may touch`
  );
}

/**
 * Each worker's share of the workflow cache when one process polls `queues` task queues: the cache is
 * sized to the heap, which they share.
 */
export function cacheShare(maxCachedWorkflows: number, queues: number): number {
  return Math.max(1, Math.floor(maxCachedWorkflows / Math.max(1, queues)));
}
