import {
  compareDrift,
  DRIFT_REPAIR_SOURCE,
  keysOutside,
  repairEvent,
  reportOutcome,
  tagDifferences,
  type ObservedForDrift,
} from '../../src/domain/drift';
import {
  acceptDelivery,
  eventKey,
  finish,
  newPolicyState,
  takeNext,
  type EventDelivery,
  type PolicyState,
} from '../../src/domain/policy-queue';
import type { AppliedDesiredState, EventResult, PolicyEvent } from '../../src/domain/types';
import { loadDriftConfig } from '../../src/config/drift';
import { ConfigError } from '../../src/config/environment';
import { validateEvent } from '../../src/sources/event-validation';
import { renderDriftReport } from '../../src/starter/drift-check';

const DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
};
const OTHER_DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

function upsert(id: string, position: { sequence?: string; time?: string } = {}): PolicyEvent {
  return {
    source: 'urn:s',
    id,
    type: 'iam.policy.upsert',
    policyName: 'Reports',
    path: '/',
    document: DOC,
    tags: { team: 'a' },
    ...position,
  };
}

function delivery(event: PolicyEvent): EventDelivery {
  return { event, replyTo: { workflowId: `wf-${event.id}`, runId: `run-${event.id}` } };
}

function result(event: PolicyEvent, outcome: EventResult['outcome']): EventResult {
  const { source, id, type, policyName } = event;
  return { source, id, type, policyName, outcome, actions: [], policyArn: 'arn:p', versionId: 'v1' };
}

function applied(state: PolicyState, event: PolicyEvent, outcome: EventResult['outcome'] = 'updated') {
  acceptDelivery(state, delivery(event));
  const next = takeNext(state);
  expect(next?.event.id).toBe(event.id);
  finish(state, next!, result(event, outcome));
}

/** The repair of `desired` as the policy workflow receives it: through the event validation. */
function repairOf(desired: AppliedDesiredState, runId = 'run-1'): PolicyEvent {
  const validation = validateEvent(repairEvent(desired, runId));
  if (!validation.ok) throw new Error(validation.reason);
  return validation.event;
}

describe('the policy workflow records the desired state of the last applied event', () => {
  test('an applied event becomes the desired state; a rejected or superseded one does not', () => {
    const state = newPolicyState('reports');
    applied(state, upsert('a', { sequence: '1' }), 'created');
    expect(state.desired).toMatchObject({ event: { id: 'a' }, outcome: 'created', versionId: 'v1' });
    applied(state, upsert('b', { sequence: '2' }), 'rejected');
    expect(state.desired?.event.id).toBe('a');
    acceptDelivery(state, delivery(upsert('old', { sequence: '0' })));
    expect(takeNext(state)).toBeUndefined();
    expect(state.desired?.event.id).toBe('a');
  });
});

describe('a drift repair never overwrites a newer event', () => {
  test('applied while the event it restores is still the last applied one, though at the same position', () => {
    const state = newPolicyState('reports');
    applied(state, upsert('a', { sequence: '5' }));
    const repair = repairOf(state.desired!);
    expect(repair).toMatchObject({
      source: DRIFT_REPAIR_SOURCE,
      sequence: '5',
      restores: eventKey(upsert('a')),
    });
    applied(state, repair);
    expect(state.desired?.event.id).toBe(repair.id);
    // A later event of the stream at the same position as the restored one is still superseded, as before.
    acceptDelivery(state, delivery(upsert('same', { sequence: '5' })));
    expect(takeNext(state)).toBeUndefined();
    expect(state.outbox.at(-1)?.result.outcome).toBe('superseded');
  });

  test('superseded once another event was applied after the state it restores', () => {
    const state = newPolicyState('reports');
    applied(state, upsert('a', { sequence: '5' }));
    const repair = repairOf(state.desired!);
    applied(state, upsert('b', { sequence: '6' }));
    acceptDelivery(state, delivery(repair));
    expect(takeNext(state)).toBeUndefined();
    const answer = state.outbox.at(-1)!.result;
    expect(answer).toMatchObject({ id: repair.id, outcome: 'superseded' });
    expect(answer.reason).toMatch(/changed since the drift check read it: b from urn:s/);
  });

  test('superseded by any event waiting beside it, even one without an order that arrived earlier', () => {
    for (const position of [{ sequence: '6' }, {}, { sequence: '1' }]) {
      const state = newPolicyState('reports');
      applied(state, upsert('a', { sequence: '5' }));
      const repair = repairOf(state.desired!);
      acceptDelivery(state, delivery(upsert('b', position)));
      acceptDelivery(state, delivery(repair));
      const next = takeNext(state);
      const repairAnswer = state.outbox.find((item) => item.result.id === repair.id)?.result;
      expect(repairAnswer?.outcome).toBe('superseded');
      expect(repairAnswer?.reason).toMatch(/goes before a drift repair/);
      // The stream's event is judged as it would be without the repair (older ones still superseded).
      expect(next?.event.id ?? 'none').toBe(position.sequence === '1' ? 'none' : 'b');
    }
  });

  test('events without sequence or time: a repair restoring the last applied one is applied by arrival', () => {
    const state = newPolicyState('reports');
    applied(state, upsert('a'));
    applied(state, repairOf(state.desired!));
    applied(state, upsert('c'));
    expect(state.desired?.event.id).toBe('c');
  });

  test('only the service may send a repair: `restores` from another source, or on a delete, is rejected', () => {
    const repair = repairEvent({ event: upsert('a'), outcome: 'updated' }, 'run-1');
    expect(validateEvent({ ...repair, source: 'urn:other' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/restores is only for/),
    });
    expect(validateEvent({ ...repair, type: 'iam.policy.delete' }).ok).toBe(false);
  });
});

describe('compareDrift', () => {
  const desired: AppliedDesiredState = {
    event: upsert('a', { sequence: '3' }),
    outcome: 'updated',
    versionId: 'v2',
  };
  const known = { workflow: 'recorded', desired } as const;
  const inIam = (overrides: Partial<Extract<ObservedForDrift, { exists: true }>> = {}): ObservedForDrift => ({
    exists: true,
    name: 'Reports',
    path: '/',
    arn: 'arn:aws:iam::123456789012:policy/Reports',
    owned: true,
    tags: { team: 'a' },
    defaultVersionId: 'v2',
    document: {
      Statement: [{ Resource: ['*'], Action: ['s3:GetObject'], Effect: 'Allow' }],
      Version: '2012-10-17',
    },
    ...overrides,
  });

  test('the same content in another form is in sync', () => {
    expect(compareDrift(known, inIam())).toEqual({ kind: 'in-sync' });
  });

  test('a changed document and changed tags are one finding with both kinds, repairable', () => {
    const verdict = compareDrift(
      known,
      inIam({ defaultVersionId: 'v3', document: OTHER_DOC, tags: { Team: 'b', x: '1' } }),
    );
    expect(verdict).toMatchObject({
      kind: 'drift',
      kinds: ['document-changed', 'tags-changed'],
      repairable: true,
    });
    if (verdict.kind !== 'drift') throw new Error('drift expected');
    expect(verdict.details).toEqual([
      expect.stringMatching(
        /default version v3 holds another document .*a from urn:s \(sequence 3\), which left v2/,
      ),
      'tag "team" is "b", wanted "a"',
      'tag "x"="1" is not wanted',
    ]);
  });

  test('tags are compared only when the last applied event set them', () => {
    const withoutTags = {
      workflow: 'recorded',
      desired: { ...desired, event: { ...desired.event, tags: undefined } },
    } as const;
    expect(compareDrift(withoutTags, inIam({ tags: { anything: 'goes' } }))).toEqual({ kind: 'in-sync' });
  });

  test('deleted is repairable; the managed-by tag removed or another path is not', () => {
    expect(compareDrift(known, { exists: false })).toMatchObject({ kinds: ['deleted'], repairable: true });
    expect(compareDrift(known, inIam({ owned: false }))).toMatchObject({
      kinds: ['unmanaged'],
      repairable: false,
    });
    expect(compareDrift(known, inIam({ path: '/x/' }))).toMatchObject({
      kinds: ['path-changed'],
      repairable: false,
    });
  });

  test('a managed policy no workflow wants is unknown and never repairable; an untagged one is none of ours', () => {
    for (const unknownTo of [
      { workflow: 'none' },
      { workflow: 'not-recorded' },
      {
        workflow: 'recorded',
        desired: { event: { ...desired.event, type: 'iam.policy.delete' }, outcome: 'deleted' },
      },
    ] as const) {
      expect(compareDrift(unknownTo, inIam())).toMatchObject({ kinds: ['unknown'], repairable: false });
      expect(compareDrift(unknownTo, inIam({ owned: false }))).toEqual({ kind: 'not-managed' });
      expect(compareDrift(unknownTo, { exists: false })).toEqual({ kind: 'not-managed' });
    }
  });

  test('a delete that found the policy in use kept it: in sync', () => {
    const retained = {
      workflow: 'recorded',
      desired: { event: { ...desired.event, type: 'iam.policy.delete' }, outcome: 'retained-in-use' },
    } as const;
    expect(compareDrift(retained, inIam())).toEqual({ kind: 'in-sync' });
  });

  test('a delete waiting until the policy is unused keeps it meanwhile: in sync', () => {
    const pending = {
      workflow: 'recorded',
      desired: { event: { ...desired.event, type: 'iam.policy.delete' }, outcome: 'delete-pending' },
    } as const;
    expect(compareDrift(pending, inIam())).toEqual({ kind: 'in-sync' });
  });

  test('tag keys are compared ignoring case, as IAM does', () => {
    expect(tagDifferences({ Team: 'a' }, { team: 'a' })).toEqual([]);
    expect(tagDifferences({}, { team: 'a' })).toEqual(['tag "team" is missing (wanted "a")']);
  });

  test('the report outcome: in sync, repaired only when every finding was repaired, else drift', () => {
    const finding = { policyName: 'p', kinds: ['deleted' as const], details: [], repairable: true };
    expect(reportOutcome([])).toBe('in-sync');
    expect(reportOutcome([{ ...finding, repair: { eventId: 'e', outcome: 'created' } }])).toBe('repaired');
    expect(reportOutcome([{ ...finding, repair: { eventId: 'e', outcome: 'superseded' } }])).toBe('drift');
    expect(reportOutcome([finding])).toBe('drift');
  });
});

describe('an account the check could not read', () => {
  const B = '222222222222';
  const C = '333333333333';

  test("its policies are left out of the check; the default account's and the others' stay", () => {
    const keys = ['team-a', `${B}/team-a`, `${C}/team-a`, `${C}/team-b`, `${B}/team-c`];
    expect(keysOutside(keys, [{ account: C, reason: 'refused' }])).toEqual([
      'team-a',
      `${B}/team-a`,
      `${B}/team-c`,
    ]);
    expect(keysOutside(keys, [])).toEqual(keys);
  });

  test('the text report names it with the reason, beside the counts', () => {
    const text = renderDriftReport('drift-check/now', {
      outcome: 'in-sync',
      repair: false,
      pathPrefix: '/',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      policies: { checked: 1, managed: 1, inSync: 1, drifted: 0, skipped: 0 },
      findings: [],
      skipped: [],
      skippedAccounts: [{ account: C, reason: `cannot reach account ${C}: STS refused to assume role` }],
      byKind: {},
      repairs: {},
      iamCalls: 3,
      iamCallsPerManagedPolicy: 3,
    });
    expect(text.split('\n')).toEqual([
      'drift check drift-check/now: no drift (1 managed policies under /, repair off)',
      `  account ${C}: not checked, none of its policies: cannot reach account ${C}: STS refused to assume role`,
      'IAM calls: 3 (3 per managed policy); 1 in sync, 0 skipped, 1 looked at; 1 account(s) not checked',
      '',
    ]);
  });
});

describe('DRIFT_* configuration', () => {
  test('hourly, report only, the whole account by default; 0 turns the schedule off', () => {
    expect(loadDriftConfig({})).toEqual({ intervalMs: 3_600_000, repair: false, pathPrefix: '/' });
    expect(
      loadDriftConfig({ DRIFT_CHECK_INTERVAL_MS: '0', DRIFT_REPAIR: 'true', DRIFT_PATH_PREFIX: '/team-a/' }),
    ).toEqual({ intervalMs: 0, repair: true, pathPrefix: '/team-a/' });
  });

  test.each([
    ['DRIFT_CHECK_INTERVAL_MS', '59999'],
    ['DRIFT_CHECK_INTERVAL_MS', 'hourly'],
    ['DRIFT_REPAIR', 'maybe'],
    ['DRIFT_PATH_PREFIX', 'team-a'],
    ['DRIFT_PATH_PREFIX', '/team-a'],
  ])('%s=%s is refused', (name, value) => {
    expect(() => loadDriftConfig({ [name]: value })).toThrow(ConfigError);
  });
});
