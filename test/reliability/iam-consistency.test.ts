// IAM as it really behaves: reads of a policy answer the state from before its latest write for a while
// (the strict proxy's lagging replicas). The policy workflow, the only writer of its policy, must not
// misjudge its own writes: it reads again until IAM shows them (src/domain/read-fence.ts). Here: its own
// writes in sequence and a lagging ListPolicies; iam-consistency-races.test.ts has lost answers and a
// racing attacher.
import { documentsEqual } from '../../src/domain/document';
import { uniqueSuffix } from '../../harness/env';
import {
  defaultDocument,
  deleteEvent,
  documentAllowing,
  policiesNamed,
  policyArn,
  upsertEvent,
  versionsOf,
} from '../../harness/events';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { IamProxy } from '../../harness/iam-proxy';
import { iamConsistencySetup } from './iam-consistency-case';

const consistency = iamConsistencySetup();
const { submit, tagsOf } = consistency;
let proxy: IamProxy;
let moto: IAMClient;
beforeAll(() => {
  ({ proxy, moto } = consistency.clients());
});

test('an upsert right after a create, a return to the previous document, the same document twice, a tags change: each as IAM really is', async () => {
  const name = `lag-up-${uniqueSuffix()}`;
  const a = documentAllowing(['s3:GetObject']);
  const b = documentAllowing(['s3:PutObject']);
  expect((await submit(upsertEvent(name, { sequence: 1, document: a }))).outcome).toBe('created');
  // Right after the create: a stale read says absent; planned as a create it would be rejected.
  const second = await submit(upsertEvent(name, { sequence: 2, document: b, tags: { team: 'x' } }));
  expect(second).toMatchObject({ outcome: 'updated' });
  // Back to A within the lag: a stale read shows A in v1, which would make it `unchanged`.
  expect((await submit(upsertEvent(name, { sequence: 3, document: a, tags: { team: 'x' } }))).outcome).toBe(
    'updated',
  );
  // The same document again: unchanged, no second identical version.
  expect((await submit(upsertEvent(name, { sequence: 4, document: a, tags: { team: 'x' } }))).outcome).toBe(
    'unchanged',
  );
  // A tags change right after: not lost.
  expect((await submit(upsertEvent(name, { sequence: 5, document: a, tags: { team: 'y' } }))).outcome).toBe(
    'updated',
  );
  const arn = policyArn(name);
  expect((await versionsOf(moto, arn)).map((v) => v.VersionId)).toEqual(['v1', 'v2', 'v3']);
  expect(documentsEqual(await defaultDocument(moto, arn), a)).toBe(true);
  expect(await tagsOf(name)).toMatchObject({ team: 'y' });
  expect(proxy.staleReads()).toBeGreaterThan(0);
}, 180_000);

test('a delete right after a create deletes; an upsert right after that delete creates again', async () => {
  const name = `lag-del-${uniqueSuffix()}`;
  expect((await submit(upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');
  expect((await submit(deleteEvent(name, { sequence: 2 }))).outcome).toBe('deleted');
  expect(await policiesNamed(moto, name)).toHaveLength(0);
  expect((await submit(upsertEvent(name, { sequence: 3 }))).outcome).toBe('created');
  expect(await policiesNamed(moto, name)).toHaveLength(1);
}, 180_000);

test('ListPolicies lags too: an event naming the policy in another case right after its create updates it', async () => {
  const name = `lag-case-${uniqueSuffix()}`;
  expect((await submit(upsertEvent(name, { sequence: 1 }))).outcome).toBe('created');
  // GetPolicy of the other spelling's ARN is NoSuchEntity and the case-insensitive scan of ListPolicies
  // does not list the new policy yet: read as absent, it would be planned as a create and refused.
  const document = documentAllowing(['s3:PutObject']);
  const report = await submit(upsertEvent(name.toUpperCase(), { sequence: 2, document }));
  expect(report.result).toMatchObject({ outcome: 'updated', versionId: 'v2' });
  expect(await policiesNamed(moto, name)).toHaveLength(1);
}, 180_000);
