// Bursts: when several events for one policy are waiting, the policy workflow waits a moment for the
// rest of the burst before it applies the newest, so a burst spread over a second still costs one write.
// Pure, so the window's arithmetic is tested alone; the waiting itself is the workflow's.

/** How long the policy workflow gathers a burst before it applies the newest of it. */
export interface CoalesceWindow {
  /** Apply once no event has arrived for this long; 0 turns the window off. */
  quietMs: number;
  /** Never gather longer than this in all, however events keep coming (0 turns the window off too). */
  maxMs: number;
}

/** A burst of upserts submitted together arrives within a few hundred ms; a lone event never waits. */
export const DEFAULT_COALESCE_WINDOW: CoalesceWindow = { quietMs: 200, maxMs: 1_000 };

/** Whether to gather before taking the next event: only when a burst shows (two or more waiting). */
export function shouldGather(waitingEvents: number, window: CoalesceWindow): boolean {
  return waitingEvents >= 2 && window.quietMs > 0 && window.maxMs > 0;
}

/**
 * How long the next quiet period lasts when the window has been open `elapsedMs`; undefined once it is
 * over. The first period is the quiet time (or the bound, if shorter); a later one starts only if a whole
 * quiet time still fits in the bound: a period cut short would wait on a timer that Temporal may fire up
 * to a second late anyway.
 */
export function nextQuietWait(window: CoalesceWindow, elapsedMs: number): number | undefined {
  const elapsed = Math.max(0, elapsedMs);
  const left = window.maxMs - elapsed;
  if (left <= 0) return undefined;
  if (elapsed > 0 && left < window.quietMs) return undefined;
  return Math.min(window.quietMs, left);
}
