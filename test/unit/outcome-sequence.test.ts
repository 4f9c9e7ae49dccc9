// The scenarios' check that each outcome says what its event did (harness/scenario-runner.ts): a write
// hidden behind unchanged or absent is a problem, and so is a write reported that was not made.
import { eventKey } from '../../src/domain/policy-queue';
import type { EventResult, Outcome } from '../../src/domain/types';
import {
  documentFor,
  outcomeSequenceProblems,
  plannedDelete,
  plannedUpsert,
  type PlannedEvent,
} from '../../harness/scenario-runner';

const source = 'urn:test:sequence';
const events = [
  plannedUpsert(source, 'e1', 'p', '1', documentFor('p', 1)),
  plannedUpsert(source, 'e2', 'p', '2', documentFor('p', 1)),
  plannedUpsert(source, 'e3', 'p', '3', documentFor('p', 2)),
  plannedDelete(source, 'e4', 'p', '4'),
  plannedDelete(source, 'e5', 'p', '5'),
];
const byKey = new Map(events.map((event) => [eventKey(event), event]));

function finished(outcomes: [PlannedEvent, Outcome][]) {
  return outcomes.map(([event, outcome]) => ({
    key: eventKey(event),
    runId: 'run',
    result: { outcome } as EventResult,
  }));
}

test('honest outcomes pass; superseded events change nothing', () => {
  const [e1, e2, e3, e4, e5] = events;
  const honest = finished([
    [e1, 'created'],
    [e2, 'unchanged'],
    [e3, 'updated'],
    [e4, 'deleted'],
    [e5, 'absent'],
  ]);
  expect(outcomeSequenceProblems('p', honest, byKey)).toEqual([]);
  const skipping = finished([
    [e1, 'created'],
    [e2, 'superseded'],
    [e3, 'updated'],
  ]);
  expect(outcomeSequenceProblems('p', skipping, byKey)).toEqual([]);
});

test('a create, an update or a delete reported unchanged or absent is a problem; so is a write not made', () => {
  const [e1, e2, e3, e4] = events;
  expect(outcomeSequenceProblems('p', finished([[e1, 'unchanged']]), byKey)).toEqual([
    'p: e1 (sequence 1) reported unchanged, but what it did to the policy was created',
  ]);
  expect(
    outcomeSequenceProblems(
      'p',
      finished([
        [e1, 'created'],
        [e3, 'unchanged'],
        [e4, 'absent'],
      ]),
      byKey,
    ),
  ).toEqual([
    'p: e3 (sequence 3) reported unchanged, but what it did to the policy was updated',
    'p: e4 (sequence 4) reported absent, but what it did to the policy was deleted',
  ]);
  expect(
    outcomeSequenceProblems(
      'p',
      finished([
        [e1, 'created'],
        [e2, 'updated'],
      ]),
      byKey,
    ),
  ).toHaveLength(1);
});

test('after a failed event the state is unknown: later outcomes are not judged', () => {
  const [e1, e2, e3] = events;
  const afterFailure = finished([
    [e1, 'failed'],
    [e2, 'unchanged'],
    [e3, 'unchanged'],
  ]);
  expect(outcomeSequenceProblems('p', afterFailure, byKey)).toEqual([]);
});
