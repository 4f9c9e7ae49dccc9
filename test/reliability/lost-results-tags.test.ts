// A worker killed right after IAM applied a tags-only write, and right after it created a deleted policy
// again: the outcomes say what the events did (lost-results.test.ts has the other writes).
import { uniqueSuffix } from '../../harness/env';
import { deleteEvent, policiesNamed, upsertEvent } from '../../harness/events';
import { testIamClient } from '../../harness/service';
import { lostResultsSetup } from './lost-results-case';

const { killWorkerAfter, resultAfterRestart, submitted } = lostResultsSetup();

test('killed after a tags-only change (TagPolicy), then after CreatePolicy of a policy created again: updated, then created', async () => {
  const name = `lost-tags-${uniqueSuffix()}`;
  expect((await submitted(upsertEvent(name, { sequence: 1, tags: { team: 'a' } }))).outcome).toBe('created');

  killWorkerAfter('TagPolicy', name);
  const tagged = await resultAfterRestart(upsertEvent(name, { sequence: 2, tags: { team: 'b' } }));
  expect(tagged).toMatchObject({ outcome: 'updated', actions: [{ action: 'TagPolicy' }] });

  expect((await submitted(deleteEvent(name, { sequence: 3 }))).outcome).toBe('deleted');
  killWorkerAfter('CreatePolicy', name);
  const recreated = await resultAfterRestart(upsertEvent(name, { sequence: 4, tags: { team: 'b' } }));
  expect(recreated).toMatchObject({ outcome: 'created', versionId: 'v1' });
  expect(await policiesNamed(testIamClient(), name)).toHaveLength(1);
}, 420_000);
