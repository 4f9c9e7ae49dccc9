// SQS on moto for the consumer tests: queues, and a loopback proxy that can hold back DeleteMessage
// calls, so a test can kill the consumer between receiving a message and deleting it.
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createServer, request } from 'node:http';
import { readBody } from '../../harness/http';
import type { AddressInfo } from 'node:net';

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

export interface HoldingProxy {
  endpoint: string;
  /** Resolves when the first DeleteMessage arrives (it is never forwarded nor answered). */
  deleteHeld: Promise<void>;
  close(): Promise<void>;
}

/** A proxy to moto that forwards every SQS call except DeleteMessage, which it holds forever. */
export async function startDeleteHoldingProxy(target: string): Promise<HoldingProxy> {
  const targetUrl = new URL(target);
  let seen: () => void = () => undefined;
  const deleteHeld = new Promise<void>((resolve) => (seen = resolve));
  const server = createServer((incoming, outgoing) => {
    void readBody(incoming).then((body) => {
      // The SDK speaks SQS's JSON protocol: the action is in X-Amz-Target ("AmazonSQS.DeleteMessage").
      if (String(incoming.headers['x-amz-target'] ?? '').endsWith('.DeleteMessage')) return seen();
      const upstream = request(
        {
          hostname: targetUrl.hostname,
          port: targetUrl.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: targetUrl.host },
        },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        },
      );
      upstream.on('error', () => outgoing.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deleteHeld,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
