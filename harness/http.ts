// Small HTTP pieces shared by the test proxies (IAM, SQS) and the benchmark's counting proxy.
import type { IncomingMessage } from 'node:http';

/** The whole body of a request or response. */
export function readBody(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', reject);
  });
}
