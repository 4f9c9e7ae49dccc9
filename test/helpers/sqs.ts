// A loopback proxy to moto's SQS that can hold back DeleteMessage calls, so a test can kill the
// consumer between receiving a message and deleting it. (Queues and clients: harness/sqs.ts.)
import { createServer, request } from 'node:http';
import { readBody } from '../../harness/http';
import type { AddressInfo } from 'node:net';

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
