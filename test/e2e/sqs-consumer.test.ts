// `npm run consume-sqs` as a child process against moto's SQS and the real dev server and worker: a
// message is deleted only after its workflow started or was found a duplicate; a consumer killed between
// receive and delete loses nothing and applies nothing twice; what it cannot use ends in the DLQ.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { eventWorkflowId } from '../../src/temporal/event-identity';
import type { eventWorkflow } from '../../src/workflows/event-workflow';
import { testIamEndpoint, testTemporalAddress, uniqueSuffix } from '../../harness/env';
import {
  documentAllowing,
  policiesNamed,
  SOURCE,
  upsertEvent,
  versionsOf,
  defaultDocument,
} from '../../harness/events';
import { documentsEqual } from '../../src/domain/document';
import { submitEvent } from '../../src/starter/submit';
import type { ServiceProcess } from '../../harness/processes';
import { startService, type RunningService } from '../../harness/service';
import { startConsumer as startConsumerProcess } from '../../harness/sources';
import { createQueue, messagesIn, receiveAll, testSqsClient } from '../../harness/sqs';
import { startDeleteHoldingProxy } from '../helpers/sqs';
import { until } from '../helpers/until';

let service: RunningService;
let sqs: SQSClient;
const consumers: ServiceProcess[] = [];

beforeAll(async () => {
  service = await startService();
  sqs = testSqsClient(testIamEndpoint());
});

afterAll(async () => {
  await Promise.all(consumers.map((consumer) => consumer.stop('SIGKILL')));
  sqs?.destroy();
  await service?.stop();
});

function startConsumer(queueUrl: string, sqsEndpoint = testIamEndpoint()): ServiceProcess {
  const consumer = startConsumerProcess(queueUrl, {
    temporalAddress: testTemporalAddress(),
    taskQueue: service.taskQueue,
    sqsEndpoint,
  });
  consumers.push(consumer);
  return consumer;
}

test('a FIFO queue: every event started in group order, each message deleted once accepted', async () => {
  const queue = await createQueue(sqs, `events-${uniqueSuffix()}.fifo`, {
    FifoQueue: 'true',
    ContentBasedDeduplication: 'true',
  });
  const name = `sqs-fifo-${uniqueSuffix()}`;
  const events = [1, 2, 3, 4, 5, 6].map((sequence) =>
    upsertEvent(name, { sequence, document: documentAllowing([`s3:Action${sequence}`]) }),
  );
  for (const event of events) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: JSON.stringify(event),
        MessageGroupId: name,
      }),
    );
  }
  const consumer = startConsumer(queue.url);
  await until(async () => (await messagesIn(sqs, queue.url)) === 0, 'the queue empty', 30_000);
  const startTimes: number[] = [];
  for (const event of events) {
    const handle = service.client.workflow.getHandle<typeof eventWorkflow>(
      eventWorkflowId(SOURCE, event.id as string),
    );
    expect(['created', 'updated', 'superseded']).toContain((await handle.result()).outcome);
    startTimes.push((await handle.describe()).startTime.getTime());
  }
  // One after another, in the group's order: each workflow started after the previous one's start
  // returned (started concurrently, they would interleave).
  expect(startTimes).toEqual([...startTimes].sort((a, b) => a - b));
  expect(new Set(startTimes).size).toBe(events.length);
  const consumed = consumer.logLines().filter((line) => line.msg === 'message consumed');
  expect(consumed.map((line) => line.eventId)).toEqual(events.map((event) => event.id));
  const [policy] = await policiesNamed(service.iam, name);
  expect(
    documentsEqual(await defaultDocument(service.iam, policy.Arn!), documentAllowing(['s3:Action6'])),
  ).toBe(true);
  expect(await consumer.stop('SIGTERM')).toBe(0);
});

test('a consumer killed between receive and delete: the message comes back, is a duplicate, and is deleted', async () => {
  const queue = await createQueue(sqs, `events-${uniqueSuffix()}`, { VisibilityTimeout: '2' });
  const name = `sqs-crash-${uniqueSuffix()}`;
  const event = upsertEvent(name, { sequence: 1 });
  const { MessageId } = await sqs.send(
    new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(event) }),
  );

  // The first consumer reaches moto through a proxy that holds its DeleteMessage: kill it right there.
  const proxy = await startDeleteHoldingProxy(testIamEndpoint());
  const doomed = startConsumer(queue.url, proxy.endpoint);
  await proxy.deleteHeld;
  expect(await doomed.stop('SIGKILL')).toBeNull();
  await proxy.close();
  expect(await messagesIn(sqs, queue.url)).toBe(1); // not deleted

  const survivor = startConsumer(queue.url);
  await until(async () => (await messagesIn(sqs, queue.url)) === 0, 'the queue empty', 30_000);
  // The consumer logs after it deletes: its line may come a moment after the queue is seen empty.
  await survivor.waitFor(/"msg":"message consumed"/, 10_000);
  const consumed = survivor.logLines().find((line) => line.msg === 'message consumed');
  expect(consumed).toMatchObject({ messageId: MessageId, outcome: 'duplicate', receiveCount: 2 });
  const handle = service.client.workflow.getHandle<typeof eventWorkflow>(
    eventWorkflowId(SOURCE, event.id as string),
  );
  expect((await handle.result()).outcome).toBe('created');
  const policies = await policiesNamed(service.iam, name);
  expect(policies).toHaveLength(1);
  expect(await versionsOf(service.iam, policies[0].Arn!)).toHaveLength(1);
  await survivor.stop('SIGTERM');
});

test('unparseable, invalid and conflicting messages are left for the dead-letter queue and logged with their message ID', async () => {
  const dlq = await createQueue(sqs, `events-dlq-${uniqueSuffix()}`);
  const queue = await createQueue(sqs, `events-${uniqueSuffix()}`, {
    VisibilityTimeout: '1',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
  });
  const broken = await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{not json' }));
  const invalid = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queue.url,
      MessageBody: JSON.stringify({ ...upsertEvent(`sqs-dlq-${uniqueSuffix()}`), type: 'iam.policy.rename' }),
    }),
  );
  // The same (source, id) as an event already started, with another document: a conflict.
  const conflictName = `sqs-conflict-${uniqueSuffix()}`;
  const original = upsertEvent(conflictName, { sequence: 1 });
  expect((await submitEvent(original, service.submitOptions())).outcome).toBe('created');
  const changed = upsertEvent(conflictName, {
    id: String(original.id),
    sequence: 1,
    document: documentAllowing(['s3:DeleteBucket']),
  });
  const conflicting = await sqs.send(
    new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(changed) }),
  );
  const consumer = startConsumer(queue.url);
  await until(async () => (await messagesIn(sqs, queue.url)) === 0, 'the queue empty', 30_000);
  await consumer.stop('SIGTERM');
  const deadLetters = await receiveAll(sqs, dlq.url);
  expect(deadLetters.map((m) => m.MessageId).sort()).toEqual(
    [broken.MessageId, invalid.MessageId, conflicting.MessageId].sort(),
  );
  const logs = consumer.logLines();
  expect(logs).toContainEqual(
    expect.objectContaining({
      messageId: broken.MessageId,
      msg: 'unparseable message left for the dead-letter queue',
    }),
  );
  expect(logs).toContainEqual(
    expect.objectContaining({
      messageId: invalid.MessageId,
      outcome: 'rejected',
      reason: expect.stringMatching(/type/),
    }),
  );
  expect(logs).toContainEqual(
    expect.objectContaining({ messageId: conflicting.MessageId, outcome: 'conflict' }),
  );
  // The conflict changed nothing: the policy keeps the original's single version.
  const [policy] = await policiesNamed(service.iam, conflictName);
  expect(await versionsOf(service.iam, policy.Arn!)).toHaveLength(1);
});
