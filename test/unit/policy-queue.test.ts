import {
  supersededByApplied,
  acceptDelivery,
  finish,
  newPolicyState,
  RECENT_LIMIT,
  supersedeWaiting,
  takeNext,
  type EventDelivery,
  type PolicyState,
} from '../../src/domain/policy-queue';
import type { EventResult, PolicyEvent } from '../../src/domain/types';

function delivery(
  id: string,
  position: { sequence?: string; time?: string } = {},
  runId = `run-${id}`,
): EventDelivery {
  const event: PolicyEvent = {
    source: 'urn:s',
    id,
    type: 'iam.policy.upsert',
    policyName: 'p',
    path: '/',
    document: {},
    ...position,
  };
  return { event, replyTo: { workflowId: `wf-${id}`, runId } };
}

function resultOf(d: EventDelivery, outcome: EventResult['outcome'] = 'updated'): EventResult {
  return {
    source: d.event.source,
    id: d.event.id,
    type: d.event.type,
    policyName: 'p',
    outcome,
    actions: [],
  };
}

/** Applies whatever takeNext picks with the given outcome and returns its id. */
function applyNext(state: PolicyState, outcome: EventResult['outcome'] = 'updated'): string | undefined {
  const next = takeNext(state);
  if (next) finish(state, next, resultOf(next, outcome));
  return next?.event.id;
}

function outboxOutcomes(state: PolicyState): Record<string, string> {
  return Object.fromEntries(state.outbox.map((o) => [o.result.id, o.result.outcome]));
}

test('only the newest waiting event is applied; the others are superseded and told why', () => {
  const state = newPolicyState('p');
  for (const [id, sequence] of [
    ['a', '2'],
    ['b', '10'],
    ['c', '9'],
  ] as const)
    acceptDelivery(state, delivery(id, { sequence }));
  expect(applyNext(state)).toBe('b');
  expect(outboxOutcomes(state)).toEqual({ a: 'superseded', c: 'superseded', b: 'updated' });
  expect(state.outbox.find((o) => o.result.id === 'a')?.result.reason).toMatch(
    /newer event is waiting: b .*sequence 10/,
  );
});

test('an event older than the last applied one is superseded, even after a delete', () => {
  const state = newPolicyState('p');
  acceptDelivery(state, delivery('delete', { sequence: '5' }));
  expect(applyNext(state, 'deleted')).toBe('delete');
  acceptDelivery(state, delivery('old-upsert', { sequence: '4' }));
  expect(applyNext(state)).toBeUndefined();
  expect(outboxOutcomes(state)['old-upsert']).toBe('superseded');
});

test('an event at the same position as the applied one does not overwrite it', () => {
  const state = newPolicyState('p');
  acceptDelivery(state, delivery('first', { sequence: '3' }));
  applyNext(state);
  acceptDelivery(state, delivery('twin', { sequence: '3' }));
  expect(applyNext(state)).toBeUndefined();
  expect(outboxOutcomes(state).twin).toBe('superseded');
});

test('time orders events without sequence; arrival orders events with neither', () => {
  const state = newPolicyState('p');
  acceptDelivery(state, delivery('late', { time: '2026-01-01T10:00:00Z' }));
  acceptDelivery(state, delivery('early', { time: '2026-01-01T09:00:00Z' }));
  expect(applyNext(state)).toBe('late');
  acceptDelivery(state, delivery('plain-1'));
  acceptDelivery(state, delivery('plain-2'));
  expect(applyNext(state)).toBe('plain-2');
  expect(outboxOutcomes(state)['plain-1']).toBe('superseded');
});

test('rejected and failed events do not move the applied position', () => {
  const state = newPolicyState('p');
  acceptDelivery(state, delivery('bad', { sequence: '7' }));
  applyNext(state, 'rejected');
  acceptDelivery(state, delivery('good', { sequence: '6' }));
  expect(applyNext(state)).toBe('good');
  expect(state.lastApplied?.id).toBe('good');
});

test('a repeated signal from the same run is ignored while waiting and answered from memory once finished', () => {
  const state = newPolicyState('p');
  const d = delivery('x', { sequence: '1' });
  acceptDelivery(state, d);
  acceptDelivery(state, d);
  expect(state.pending).toHaveLength(1);
  applyNext(state, 'created');
  state.outbox = [];
  acceptDelivery(state, d);
  expect(state.pending).toHaveLength(0);
  expect(state.outbox).toEqual([
    { replyTo: d.replyTo, result: expect.objectContaining({ outcome: 'created' }) },
  ]);
});

test('a new run of a failed event (resubmitted) is applied again', () => {
  const state = newPolicyState('p');
  acceptDelivery(state, delivery('x', { sequence: '1' }, 'run-1'));
  applyNext(state, 'failed');
  acceptDelivery(state, delivery('x', { sequence: '1' }, 'run-2'));
  expect(applyNext(state, 'created')).toBe('x');
  expect(state.outbox.at(-1)).toMatchObject({ replyTo: { runId: 'run-2' }, result: { outcome: 'created' } });
});

test('the memory of finished events is bounded', () => {
  const state = newPolicyState('p');
  for (let i = 1; i <= RECENT_LIMIT + 25; i += 1) {
    acceptDelivery(state, delivery(`e${i}`, { sequence: String(i) }));
    applyNext(state);
  }
  expect(state.recent).toHaveLength(RECENT_LIMIT);
  expect(state.recent[0]?.result.id).toBe('e26');
  // The state survives continue-as-new as plain JSON.
  expect(JSON.parse(JSON.stringify(state))).toEqual(state);
});

test('a repeated delivery of the event being applied is not queued again', () => {
  const state = newPolicyState('p');
  const d = delivery('x', { sequence: '1' });
  acceptDelivery(state, d);
  const next = takeNext(state);
  expect(state.applying?.event.id).toBe('x');
  acceptDelivery(state, d);
  expect(state.pending).toHaveLength(0);
  finish(state, next!, resultOf(d, 'created'));
  expect(state.applying).toBeUndefined();
  expect(takeNext(state)).toBeUndefined();
  expect(state.recent.map((f) => f.result.outcome)).toEqual(['created']);
});

test('while a burst gathers, older waiting events are settled at once and only the newest keeps waiting', () => {
  const state = newPolicyState('p');
  acceptDelivery(state, { ...delivery('a', { sequence: '1' }), replyBy: 'update' });
  acceptDelivery(state, delivery('b', { sequence: '3' }));
  expect(supersedeWaiting(state)?.event.id).toBe('b');
  expect(state.pending.map((q) => q.event.id)).toEqual(['b']);
  expect(state.applying).toBeUndefined();
  expect(outboxOutcomes(state)).toEqual({ a: 'superseded' });
  // The answer goes the way the event came (here the update's answer).
  expect(state.outbox[0]).toMatchObject({ replyBy: 'update', replyTo: { workflowId: 'wf-a' } });
  expect(state.outbox[0].result.reason).toMatch(/newer event is waiting: b from urn:s \(sequence 3\)/);
  // An older event arriving later is settled by the next round; a newer one takes the lead.
  acceptDelivery(state, delivery('c', { sequence: '2' }));
  acceptDelivery(state, delivery('d', { sequence: '4' }));
  expect(supersedeWaiting(state)?.event.id).toBe('d');
  expect(outboxOutcomes(state)).toEqual({ a: 'superseded', b: 'superseded', c: 'superseded' });
  // Nothing was applied yet: the last applied position is untouched, and the newest is what comes next.
  expect(state.lastApplied).toBeUndefined();
  expect(applyNext(state)).toBe('d');
  expect(supersedeWaiting(newPolicyState('p'))).toBeUndefined();
});

describe('supersededByApplied (the policy workflow and the dry run)', () => {
  const applied = { source: 'urn:s', id: 'e5', sequence: '5', arrival: 3 };

  test('only a strictly newer position may overwrite what was applied', () => {
    expect(supersededByApplied({ sequence: '6' }, applied)).toBeUndefined();
    expect(supersededByApplied({ sequence: '5' }, applied)).toBe(
      'a newer or same-position event was already applied: e5 from urn:s (sequence 5)',
    );
    expect(supersededByApplied({ sequence: '4' }, applied, 9)).toMatch(/already applied/);
  });

  test('without comparable positions the later arrival wins; one not arrived yet counts as later', () => {
    const unordered = { source: 'urn:s', id: 'e1', arrival: 3 };
    expect(supersededByApplied({}, unordered, 4)).toBeUndefined();
    expect(supersededByApplied({}, unordered, 2)).toMatch(/already applied: e1 from urn:s$/);
    expect(supersededByApplied({}, unordered)).toBeUndefined();
  });
});

describe('reply channel: by signal, or as the answer of the delivering update', () => {
  const byUpdate = (d: EventDelivery): EventDelivery => ({ ...d, replyBy: 'update' });

  test('a result goes back the way its event came', () => {
    const state = newPolicyState('p');
    acceptDelivery(state, byUpdate(delivery('a', { sequence: '1' })));
    applyNext(state);
    acceptDelivery(state, delivery('b', { sequence: '2' }));
    applyNext(state);
    expect(state.outbox.map((o) => [o.result.id, o.replyBy])).toEqual([
      ['a', 'update'],
      ['b', undefined],
    ]);
  });

  test('an event asked for again by signal while it waits is answered by signal', () => {
    const state = newPolicyState('p');
    const first = delivery('a', { sequence: '1' });
    acceptDelivery(state, byUpdate(first));
    acceptDelivery(state, first);
    expect(state.pending).toHaveLength(1);
    applyNext(state);
    expect(state.outbox).toEqual([{ replyTo: first.replyTo, result: resultOf(first) }]);
  });

  test('a late copy of the update after the signal does not take the answer away from the signal', () => {
    // The update's sender gave up and delivered by signal; the update itself reached the workflow later.
    const state = newPolicyState('p');
    const first = delivery('a', { sequence: '1' });
    acceptDelivery(state, first);
    acceptDelivery(state, byUpdate(first));
    applyNext(state);
    expect(state.outbox).toEqual([{ replyTo: first.replyTo, result: resultOf(first) }]);
  });

  test('a new run of the event asking by update is answered by update', () => {
    const state = newPolicyState('p');
    acceptDelivery(state, delivery('a', { sequence: '1' }, 'run-1'));
    const resubmitted = byUpdate(delivery('a', { sequence: '1' }, 'run-2'));
    acceptDelivery(state, resubmitted);
    applyNext(state);
    expect(state.outbox).toEqual([
      { replyTo: resubmitted.replyTo, result: resultOf(resubmitted), replyBy: 'update' },
    ]);
  });

  test('a finished event asked for by update is answered from memory by update', () => {
    const state = newPolicyState('p');
    const first = delivery('a', { sequence: '1' });
    acceptDelivery(state, first);
    applyNext(state);
    state.outbox = [];
    acceptDelivery(state, byUpdate(first));
    expect(state.pending).toHaveLength(0);
    expect(state.outbox).toEqual([{ replyTo: first.replyTo, result: resultOf(first), replyBy: 'update' }]);
  });
});
