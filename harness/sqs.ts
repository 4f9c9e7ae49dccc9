// SQS on moto for the consumer tests and the outage scenario: a client, queues, what is in them.
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

export function testSqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

export async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<{ url: string; arn: string }> {
  const { QueueUrl: url } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url: url!, arn: Attributes!.QueueArn! };
}

/** A queue whose messages go to a dead-letter queue of their own after `maxReceiveCount` receives. */
export async function createQueueWithDlq(
  sqs: SQSClient,
  name: string,
  options: { visibilityTimeoutS: number; maxReceiveCount: number },
): Promise<{ url: string; dlqUrl: string }> {
  const dlq = await createQueue(sqs, `${name}-dlq`);
  const queue = await createQueue(sqs, name, {
    VisibilityTimeout: String(options.visibilityTimeoutS),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: options.maxReceiveCount,
    }),
  });
  return { url: queue.url, dlqUrl: dlq.url };
}

/** Visible plus in-flight messages. */
export async function messagesIn(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Receives whatever is visible now (for reading a dead-letter queue). */
export async function receiveAll(sqs: SQSClient, url: string) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  return Messages;
}
