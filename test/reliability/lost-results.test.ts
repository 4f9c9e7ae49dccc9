// A worker killed right after IAM applied a write, before the write's result reached Temporal. The write
// runs as an activity scheduled (with its plan) before IAM is touched, so the server runs the same plan
// again on the next worker, which recognises what the killed one wrote: the outcome says what the event
// did (created, updated, deleted), never unchanged or absent, and at once, not after IAM's consistency
// wait. The first write of a policy workflow (nothing written before it to compare with) included.
// (Tags-only writes and a policy created again: lost-results-tags.test.ts.)
import { uniqueSuffix } from '../../harness/env';
import {
  deleteEvent,
  documentAllowing,
  policiesNamed,
  policyArn,
  upsertEvent,
  versionsOf,
} from '../../harness/events';
import { testIamClient } from '../../harness/service';
import { lostResultsSetup } from './lost-results-case';

const { killWorkerAfter, resultAfterRestart, submitted } = lostResultsSetup();

test("killed after a new policy workflow's first write (CreatePolicy): created", async () => {
  const name = `lost-first-${uniqueSuffix()}`;
  killWorkerAfter('CreatePolicy', name);
  const created = await resultAfterRestart(upsertEvent(name, { sequence: 1 }));
  expect(created).toMatchObject({ outcome: 'created', versionId: 'v1' });
  expect(await policiesNamed(testIamClient(), name)).toHaveLength(1);
}, 300_000);

test('killed after CreatePolicyVersion, then after DeletePolicy: updated (no second version), then deleted', async () => {
  const name = `lost-${uniqueSuffix()}`;
  expect((await submitted(upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');

  killWorkerAfter('CreatePolicyVersion', name);
  const updated = await resultAfterRestart(
    upsertEvent(name, { sequence: 2, document: documentAllowing(['s3:PutObject']) }),
  );
  expect(updated).toMatchObject({ outcome: 'updated', versionId: 'v2' });
  expect(await versionsOf(testIamClient(), policyArn(name))).toHaveLength(2);

  killWorkerAfter('DeletePolicy', name);
  const deleted = await resultAfterRestart(deleteEvent(name, { sequence: 3 }));
  expect(deleted.outcome).toBe('deleted');
  expect(await policiesNamed(testIamClient(), name)).toHaveLength(0);
}, 300_000);
