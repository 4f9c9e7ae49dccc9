// The SQS consumer during a Temporal outage: it stops receiving once a message fails for want of
// Temporal, so a valid message's receive count is not spent and it never reaches the dead-letter queue.
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { consumeQueue } from '../../src/sources/sqs/consumer';
import type { SubmitReport } from '../../src/starter/submit';

/** A queue with a redrive policy; a message not deleted is visible again at once (timeout 0). */
function fakeQueue(maxReceiveCount: number) {
  const messages = [
    { id: 'm-1', body: '{"id":"evt-1"}', receiveCount: 0, deleted: false, deadLettered: false },
  ];
  const sqs = {
    send: async (command: unknown) => {
      if (command instanceof DeleteMessageCommand) {
        const message = messages.find((m) => m.id === command.input.ReceiptHandle);
        if (message) message.deleted = true;
        return {};
      }
      if (command instanceof ReceiveMessageCommand) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const visible = messages.filter((m) => !m.deleted && !m.deadLettered);
        for (const m of visible) {
          m.receiveCount += 1;
          if (m.receiveCount > maxReceiveCount) m.deadLettered = true;
        }
        return {
          Messages: visible
            .filter((m) => !m.deadLettered)
            .map((m) => ({
              MessageId: m.id,
              ReceiptHandle: m.id,
              Body: m.body,
              Attributes: { ApproximateReceiveCount: String(m.receiveCount) },
            })),
        };
      }
      throw new Error('unexpected command');
    },
  } as unknown as SQSClient;
  return { sqs, messages };
}

const quiet = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

test('a valid message received during a Temporal outage is consumed once Temporal is back, not dead-lettered', async () => {
  const { sqs, messages } = fakeQueue(2);
  let outage = true;
  const submit = (): Promise<SubmitReport> =>
    outage
      ? Promise.reject(new Error('14 UNAVAILABLE: connection refused'))
      : Promise.resolve({ outcome: 'accepted', id: 'evt-1' });
  const stop = new AbortController();
  const consuming = consumeQueue({
    sqs,
    queueUrl: 'http://sqs.invalid/000000000000/q',
    submit,
    available: () => Promise.resolve(!outage),
    pauseMs: 50,
    logger: quiet,
    waitTimeSeconds: 1,
    maxMessages: 10,
    signal: stop.signal,
  });
  // Longer than two of the consumer's default 5 s pauses: without the stop, three receives.
  await new Promise((resolve) => setTimeout(resolve, 10_500));
  outage = false;
  const deadline = Date.now() + 5000;
  while (!messages[0].deleted && !messages[0].deadLettered && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  stop.abort();
  await consuming;
  expect(messages[0]).toEqual(
    expect.objectContaining({ deleted: true, deadLettered: false, receiveCount: 2 }),
  );
}, 30_000);
