// A small loopback proxy in front of the IAM endpoint (moto) that counts requests by IAM action and the
// time the endpoint took, so a phase of the benchmark can read exactly how many calls it caused.
import { Agent, createServer, request } from 'node:http';
import { readBody } from '../harness/http';
import type { AddressInfo } from 'node:net';

/** IAM actions that change something; every other action the service uses only reads. */
export const WRITE_ACTIONS: ReadonlySet<string> = new Set([
  'CreatePolicy',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'DeletePolicyVersion',
  'DeletePolicy',
  'TagPolicy',
  'UntagPolicy',
]);

export type ActionCounts = Record<string, number>;

export interface CallCounts {
  total: number;
  reads: number;
  writes: number;
  byAction: ActionCounts;
}

export interface CountingProxy {
  endpoint: string;
  /** Counts since the proxy started. */
  snapshot(): ActionCounts;
  /** Milliseconds the endpoint spent answering, summed over requests, since the proxy started. */
  upstreamMs(): number;
  close(): Promise<void>;
}

/** The counts between two snapshots, split into reads and writes. */
export function callsBetween(before: ActionCounts, after: ActionCounts): CallCounts {
  const byAction: ActionCounts = {};
  let reads = 0;
  let writes = 0;
  for (const [action, count] of Object.entries(after)) {
    const delta = count - (before[action] ?? 0);
    if (delta === 0) continue;
    byAction[action] = delta;
    if (WRITE_ACTIONS.has(action)) writes += delta;
    else reads += delta;
  }
  return { total: reads + writes, reads, writes, byAction };
}

/** What-if settings: moto answers in a millisecond and never throttles; real IAM does neither. */
export interface IamEmulation {
  /** Added to every request, as a round trip to IAM's endpoint would. */
  latencyMs: number;
  /** Requests per second the endpoint accepts; more wait their turn (as throttled-and-retried calls do). 0: no limit. */
  rateLimit: number;
}

export async function startCountingProxy(
  target: string,
  emulation: IamEmulation = { latencyMs: 0, rateLimit: 0 },
): Promise<CountingProxy> {
  const targetUrl = new URL(target);
  let nextSlot = 0;
  /** When this request may go on: now plus the latency, or later when the rate limit's slots are taken. */
  const admit = (): Promise<void> => {
    const now = performance.now();
    let at = now;
    if (emulation.rateLimit > 0) {
      at = Math.max(now, nextSlot);
      nextSlot = at + 1000 / emulation.rateLimit;
    }
    const wait = at - now + emulation.latencyMs;
    return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counts: ActionCounts = {};
  let upstreamMs = 0;

  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readBody(incoming);
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? '(none)';
      counts[action] = (counts[action] ?? 0) + 1;
      await admit();
      const started = performance.now();
      const upstream = request({
        agent,
        hostname: targetUrl.hostname,
        port: targetUrl.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: targetUrl.host, 'content-length': String(body.length) },
      });
      upstream.on('response', (response) => {
        void readBody(response).then((data) => {
          upstreamMs += performance.now() - started;
          const headers = { ...response.headers, 'content-length': String(data.length) };
          delete headers['transfer-encoding'];
          delete headers.connection;
          outgoing.writeHead(response.statusCode ?? 502, headers);
          outgoing.end(data);
        });
      });
      upstream.on('error', (error) => {
        outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`counting-proxy: ${error.message}`);
      });
      upstream.end(body);
    })();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    snapshot: () => ({ ...counts }),
    upstreamMs: () => upstreamMs,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
