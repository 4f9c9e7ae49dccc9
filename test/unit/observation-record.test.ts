// The policy workflow records an observation's verdicts instead of the guardrails and the document
// (src/domain/observation-record.ts). Whatever it records, decide() and the read fence must come to what
// they come to from the whole observation: checked over the real AWS managed policy documents, written
// the same and otherwise, with guardrails broken and kept, for every kind of observation.
import {
  decide,
  observationInput,
  type ObservedPolicy,
  type PolicyObservation,
  type WritePlan,
} from '../../src/domain/decide';
import { DEFAULT_POLICY_GUARDS, type PolicyGuards } from '../../src/domain/guardrails';
import { observationRecord } from '../../src/domain/observation-record';
import { documentHash, fenceAfterWrite, staleness, type ReadFence } from '../../src/domain/read-fence';
import type { PolicyDocument, PolicyEvent } from '../../src/domain/types';
import { loadCorpus, reformatted } from '../fixtures/corpus/corpus';
import { deletionOf, upsertOf } from '../helpers/domain-events';

const corpus = loadCorpus();

const allow = (...actions: string[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
});
const escalation = allow('iam:PassRole');
const fullAdmin = allow('*');

const upsert = upsertOf;
const deletion = deletionOf();

const policy = (overrides: Partial<ObservedPolicy> = {}): ObservedPolicy => ({
  arn: 'arn:aws:iam::123456789012:policy/Team-A',
  name: 'Team-A',
  path: '/',
  defaultVersionId: 'v3',
  tags: { team: 'a' },
  owned: true,
  createdAt: 1_700_000_000_000,
  ...overrides,
});

const lenient: PolicyGuards = { ...DEFAULT_POLICY_GUARDS, guardrails: { rules: [] } };
const adopting: PolicyGuards = { ...DEFAULT_POLICY_GUARDS, adoptUnmanaged: true, consistencyWaitMs: 5_000 };

/** Observations of a policy holding `held` (undefined: its document not read), for each guard setting. */
function observationsHolding(
  held: PolicyDocument | undefined,
  guardSettings = [DEFAULT_POLICY_GUARDS, lenient, adopting],
): PolicyObservation[] {
  const withDocument = held !== undefined ? { document: held } : {};
  return guardSettings.flatMap((guards): PolicyObservation[] => [
    { exists: false, guards },
    { exists: true, guards, policy: policy(withDocument) },
    { exists: true, guards, policy: policy({ ...withDocument, owned: false }) },
    { exists: true, guards, policy: policy({ ...withDocument, path: '/other/' }) },
    { exists: true, guards, policy: policy({ ...withDocument, name: 'team-a', description: 'old' }) },
  ]);
}

/** The observation as the policy workflow gets it for `event`: compared where it was made. */
const recorded = (event: PolicyEvent, observation: PolicyObservation) =>
  observationRecord(observation, observationInput(event).compareWith?.document);

function expectSameDecisions(event: PolicyEvent, observations: PolicyObservation[]): void {
  for (const observation of observations) {
    // Only a delete's decision reads the context.
    for (const waitUntilUnused of event.type === 'iam.policy.delete' ? [false, true] : [false]) {
      expect(decide(event, recorded(event, observation), { waitUntilUnused })).toEqual(
        decide(event, observation, { waitUntilUnused }),
      );
    }
  }
}

describe('decide() comes to the same decision from the record as from the whole observation', () => {
  test('for every corpus document: held the same, held reformatted, held otherwise, not read', () => {
    let writes = 0;
    for (const [index, entry] of corpus.entries()) {
      const other = corpus[(index + 1) % corpus.length].document;
      // Every guard setting and observation kind with the documents below; the corpus for the comparison.
      const event = upsert(entry.document, index % 2 === 0 ? { tags: { team: 'b' } } : {});
      for (const held of [entry.document, reformatted(entry.document), other, undefined]) {
        const observations = observationsHolding(held, [DEFAULT_POLICY_GUARDS]).slice(1, 2);
        expectSameDecisions(event, observations);
        writes += observations.filter((o) => decide(event, o).kind !== 'none').length;
      }
    }
    // Both kinds of decision were compared, not only refusals.
    expect(writes).toBeGreaterThan(corpus.length);
  });

  test('for documents the guardrails forbid, with the rules and without them', () => {
    for (const forbidden of [escalation, fullAdmin]) {
      const event = upsert(forbidden);
      expectSameDecisions(event, [
        ...observationsHolding(allow('s3:GetObject')),
        ...observationsHolding(forbidden),
      ]);
      // The verdict is the rules': rejected with them, written without them.
      expect(decide(event, recorded(event, { exists: false, guards: DEFAULT_POLICY_GUARDS }))).toMatchObject({
        outcome: 'rejected',
      });
      expect(decide(event, recorded(event, { exists: false, guards: lenient }))).toMatchObject({
        kind: 'create',
      });
    }
  });

  test('for deletes: absent, unused, in use, not owned, elsewhere', () => {
    const usage = {
      entities: [{ kind: 'role' as const, name: 'app', usage: 'permissions-boundary' as const }],
      listedAt: 1,
    };
    expectSameDecisions(deletion, [
      ...observationsHolding(undefined),
      { exists: true, guards: DEFAULT_POLICY_GUARDS, policy: policy(), usage },
      { exists: true, guards: DEFAULT_POLICY_GUARDS, policy: policy(), usage: { entities: [], listedAt: 2 } },
    ]);
  });
});

describe('the record', () => {
  const entry = corpus.reduce((largest, candidate) =>
    JSON.stringify(candidate.document).length > JSON.stringify(largest.document).length ? candidate : largest,
  );
  const observation: PolicyObservation = {
    exists: true,
    guards: { ...DEFAULT_POLICY_GUARDS, consistencyWaitMs: 5_000, versionSwitchWaitMs: 2_000 },
    policy: policy({ document: entry.document }),
  };

  test('holds the verdicts and the settings the workflow reads, not the document and the guardrails', () => {
    const record = observationRecord(observation, reformatted(entry.document));
    expect(record).toEqual({
      exists: true,
      guards: { adoptUnmanaged: false, consistencyWaitMs: 5_000, versionSwitchWaitMs: 2_000, violations: [] },
      policy: {
        ...policy(),
        documentMatches: true,
        documentHash: documentHash(entry.document),
      },
    });
    const size = JSON.stringify(record).length;
    expect(size).toBeLessThan(600);
    expect(JSON.stringify(observation).length - size).toBeGreaterThan(JSON.stringify(entry.document).length);
  });

  test('of another document: no match; of a forbidden one: the rules it breaks', () => {
    expect(observationRecord(observation, fullAdmin)).toMatchObject({
      policy: { documentMatches: false },
      guards: { violations: expect.arrayContaining([expect.objectContaining({ rule: 'no-full-admin' })]) },
    });
  });

  test('of a delete: no document to compare, no violations', () => {
    const { document: _read, ...unread } = policy();
    expect(
      observationRecord({ exists: true, guards: DEFAULT_POLICY_GUARDS, policy: unread }, undefined),
    ).toEqual({
      exists: true,
      guards: { adoptUnmanaged: false, violations: [] },
      policy: unread,
    });
  });

  test('a record recorded again is the same record', () => {
    const record = observationRecord(observation, entry.document);
    expect(observationRecord(record, entry.document)).toEqual(record);
  });
});

describe('the read fence reads the record as it reads the whole observation', () => {
  const written = allow('s3:PutObject');
  const fences: ReadFence[] = [
    {
      exists: true,
      defaultVersionId: 'v3',
      documentHash: documentHash(written),
      tags: { team: 'a' },
      writtenAt: 0,
    },
    { exists: true, defaultVersionId: 'v3', documentHash: documentHash(allow('s3:Other')), writtenAt: 0 },
    { exists: true, defaultVersionId: 'v4', writtenAt: 0 },
    { exists: false, writtenAt: 0, createdAt: 1_600_000_000_000 },
  ];

  test('staleness, for the document written, reformatted, and another', () => {
    for (const held of [written, reformatted(written), allow('s3:Else')]) {
      const event = upsert(written);
      for (const observation of observationsHolding(held)) {
        for (const fence of fences) {
          expect(staleness(fence, recorded(event, observation))).toBe(staleness(fence, observation));
        }
      }
    }
  });

  test('the fence after a write: of a new document, and of tags alone over the observed one', () => {
    const observation: PolicyObservation = {
      exists: true,
      guards: DEFAULT_POLICY_GUARDS,
      policy: policy({ document: written }),
    };
    const plans: WritePlan[] = [
      {
        kind: 'update',
        policyArn: 'arn',
        observedDefaultVersionId: 'v3',
        document: allow('s3:New'),
        tagsToSet: {},
        tagKeysToRemove: [],
      },
      {
        kind: 'update',
        policyArn: 'arn',
        observedDefaultVersionId: 'v3',
        tagsToSet: { team: 'b' },
        tagKeysToRemove: [],
      },
    ];
    for (const plan of plans) {
      const event = upsert(plan.kind === 'update' && plan.document ? plan.document : written);
      const after = (o: PolicyObservation) =>
        fenceAfterWrite(undefined, plan, o, { outcome: 'updated', versionId: 'v4' }, 10);
      expect(after(recorded(event, observation))).toEqual(after(observation));
      expect(after(recorded(event, observation))?.documentHash).toBeDefined();
    }
  });
});
