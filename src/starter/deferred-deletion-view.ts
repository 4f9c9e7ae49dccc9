// A deferred deletion as `starter policy` prints it: times as RFC 3339 instead of epoch milliseconds.
import type { DeferredDeletion } from '../domain/deferred-deletion';
import type { IamAction, PolicyEntity } from '../domain/types';

export interface DeferredDeletionView {
  status: DeferredDeletion['status'];
  /** The delete event that waits (or waited). */
  source: string;
  id: string;
  sequence?: string;
  since: string;
  deadline: string;
  checks: number;
  nextCheckAt?: string;
  endedAt?: string;
  entities?: PolicyEntity[];
  reason?: string;
  actions?: IamAction[];
}

const instant = (ms: number) => new Date(ms).toISOString();

export function deferredDeletionView(deletion: DeferredDeletion): DeferredDeletionView {
  const { event, status, since, deadline, checks, nextCheckAt, endedAt, entities, reason, actions } =
    deletion;
  return {
    status,
    source: event.source,
    id: event.id,
    ...(event.sequence !== undefined ? { sequence: event.sequence } : {}),
    since: instant(since),
    deadline: instant(deadline),
    checks,
    ...(nextCheckAt !== undefined ? { nextCheckAt: instant(nextCheckAt) } : {}),
    ...(endedAt !== undefined ? { endedAt: instant(endedAt) } : {}),
    ...(entities ? { entities } : {}),
    ...(reason ? { reason } : {}),
    ...(actions ? { actions } : {}),
  };
}
