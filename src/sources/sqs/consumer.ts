// Long-polls an SQS queue (standard or FIFO) and starts each message's event workflow through the
// starter library. A message is deleted only once its workflow started or was found a duplicate; any
// other message (unparseable, invalid, conflicting) is left in the queue, so it comes back after its
// visibility timeout and, with a redrive policy, ends in the dead-letter queue. While Temporal is
// unavailable nothing is received, so valid messages are not dead-lettered by an outage.
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import type { SubmitReport } from '../../starter/submit';

export interface ConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Submits one parsed event without waiting for its outcome (the starter library's submitEvent). */
  submit(raw: unknown): Promise<SubmitReport>;
  logger: Logger;
  /** Long-poll wait, 1 to 20 seconds. */
  waitTimeSeconds: number;
  /** Messages per receive, 1 to 10. */
  maxMessages: number;
  /** Stops the loop: the current long poll is cut short and messages in hand are finished first. */
  signal: AbortSignal;
  /**
   * True when Temporal answers. After a message failed for want of Temporal (or SQS), the consumer
   * receives nothing until this holds, so an outage does not spend the receive counts of valid
   * messages and only poison messages reach the dead-letter queue. Without it: a pause, then receive.
   */
  available?(): Promise<boolean>;
  /** Pause after a failed receive, and between availability checks (default 5 s). */
  pauseMs?: number;
}

/** What became of one message. */
export type MessageDisposition = 'deleted' | 'left';

/** Back-off after a failed receive or an unavailable Temporal, so an outage is not a busy loop. */
const ERROR_PAUSE_MS = 5000;

/** Shared by the groups of one receive: set when a message failed for want of Temporal or SQS. */
interface OutageState {
  unavailable: boolean;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export async function handleMessage(message: Message, options: ConsumerOptions): Promise<MessageDisposition> {
  const context = {
    messageId: message.MessageId,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0) || undefined,
  };
  let raw: unknown;
  try {
    raw = JSON.parse(message.Body ?? '');
  } catch (error) {
    options.logger.warn(
      { ...context, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` },
      'unparseable message left for the dead-letter queue',
    );
    return 'left';
  }
  const report = await options.submit(raw);
  const event = { ...context, source: report.source, eventId: report.id, policy: report.policyName };
  if (report.outcome !== 'accepted' && report.outcome !== 'duplicate') {
    options.logger.warn(
      { ...event, outcome: report.outcome, reason: report.reason },
      'message not accepted; left for the dead-letter queue',
    );
    return 'left';
  }
  // Only now: a crash before this line leaves the message to come back, and its redelivery is a duplicate.
  await options.sqs.send(
    new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
  );
  options.logger.info(
    { ...event, outcome: report.outcome, workflowId: report.workflowId },
    'message consumed',
  );
  return 'deleted';
}

/** FIFO order holds within a message group: its messages go one after another, groups side by side. */
function byGroup(messages: Message[]): Message[][] {
  const groups = new Map<string, Message[]>();
  for (const message of messages) {
    const group = message.Attributes?.MessageGroupId ?? `message:${message.MessageId}`;
    groups.set(group, [...(groups.get(group) ?? []), message]);
  }
  return [...groups.values()];
}

async function handleGroup(messages: Message[], options: ConsumerOptions, state: OutageState): Promise<void> {
  for (const message of messages) {
    // Not tried during an outage: it comes back after its visibility timeout, received once only.
    if (state.unavailable) return;
    try {
      await handleMessage(message, options);
    } catch (error) {
      // Temporal or SQS unavailable: the message stays and comes back; the rest of its group waits too.
      options.logger.warn(
        {
          messageId: message.MessageId,
          reason: error instanceof Error ? error.message : String(error),
        },
        'message left in the queue: Temporal or SQS unavailable',
      );
      state.unavailable = true;
      return;
    }
  }
}

/**
 * After a failure: a pause, then no receive until Temporal answers (without a probe, the pause alone).
 * The pause comes first so that a failure Temporal's probe does not see is no busy loop.
 */
async function awaitAvailability(options: ConsumerOptions): Promise<void> {
  const pauseMs = options.pauseMs ?? ERROR_PAUSE_MS;
  const answers = () => (options.available?.() ?? Promise.resolve(true)).catch(() => false);
  const since = Date.now();
  let reported = false;
  while (!options.signal.aborted) {
    await pause(pauseMs, options.signal);
    if (await answers()) {
      if (reported) {
        options.logger.info({ pausedMs: Date.now() - since }, 'Temporal answers again: receiving resumed');
      }
      return;
    }
    if (!reported) options.logger.warn({}, 'Temporal unavailable: receiving paused until it answers');
    reported = true;
  }
}

/** Runs until `options.signal` aborts. */
export async function consumeQueue(options: ConsumerOptions): Promise<void> {
  const state: OutageState = { unavailable: false };
  while (!options.signal.aborted) {
    if (state.unavailable) {
      await awaitAvailability(options);
      state.unavailable = false;
      continue;
    }
    let messages: Message[];
    try {
      const received = await options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: options.maxMessages,
          WaitTimeSeconds: options.waitTimeSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
        }),
        { abortSignal: options.signal },
      );
      messages = received.Messages ?? [];
    } catch (error) {
      if (options.signal.aborted) break;
      options.logger.error({ err: error, queueUrl: options.queueUrl }, 'receiving from SQS failed');
      await pause(options.pauseMs ?? ERROR_PAUSE_MS, options.signal);
      continue;
    }
    await Promise.all(byGroup(messages).map((group) => handleGroup(group, options, state)));
  }
}
