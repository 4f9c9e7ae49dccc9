// A small loopback proxy in front of the IAM endpoint (moto) that counts requests by IAM action and the
// time the endpoint took, so a phase of the benchmark can read exactly how many calls it caused. It can
// also make moto look like IAM: latency per call, and per-API token buckets answering Throttling.
import { Agent, createServer, request } from 'node:http';
import { readBody } from '../harness/http';
import { iamErrorResponse } from '../harness/iam-xml';
import { POLICY_WRITE_ACTIONS } from '../harness/iam-proxy-types';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './stream';
import { apiThrottle, jitteredLatency, type ApiThrottle, type ThrottleRates } from './token-bucket';

/** IAM actions that change something; every other action the service uses only reads. */
export const WRITE_ACTIONS = POLICY_WRITE_ACTIONS;

export type ActionCounts = Record<string, number>;

export interface CallCounts {
  total: number;
  reads: number;
  writes: number;
  byAction: ActionCounts;
}

export interface CountingProxy {
  endpoint: string;
  /** Requests since the proxy started, throttled ones included. */
  snapshot(): ActionCounts;
  /** Requests answered Throttling since the proxy started. */
  throttledSnapshot(): ActionCounts;
  /** Emulates IAM from now on as `emulation` says, with full token buckets. */
  setEmulation(emulation: IamEmulation): void;
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

/** moto answers in a millisecond and never throttles; real IAM does neither. */
export interface IamEmulation {
  /** Added to every request, as a round trip to IAM's endpoint would (the mean, with `latencyJitterMs`). */
  latencyMs: number;
  /** Each request's latency is drawn evenly from latencyMs ± this. 0: always latencyMs. */
  latencyJitterMs?: number;
  /** What-if: requests per second the endpoint accepts; more wait their turn. 0: no limit. */
  rateLimit: number;
  /** IAM's own way: a token bucket per API; a request finding it empty is answered Throttling. */
  throttle?: ThrottleRates;
  /** Seed of the latencies drawn. */
  seed?: number;
}

export const NO_EMULATION: IamEmulation = { latencyMs: 0, rateLimit: 0 };

export async function startCountingProxy(
  target: string,
  initial: IamEmulation = NO_EMULATION,
): Promise<CountingProxy> {
  const targetUrl = new URL(target);
  let emulation = initial;
  let nextSlot = 0;
  let random = seededRandom(initial.seed ?? 1);
  let throttle: ApiThrottle | undefined;
  const setEmulation = (next: IamEmulation) => {
    emulation = next;
    nextSlot = 0;
    random = seededRandom(next.seed ?? 1);
    throttle = next.throttle ? apiThrottle(next.throttle, (action) => WRITE_ACTIONS.has(action)) : undefined;
  };
  setEmulation(initial);
  /**
   * Whether IAM accepts this request (its API's bucket had a token when it arrived), and when it answers:
   * after the latency, or later when the what-if rate limit's slots are taken.
   */
  const admit = (action: string): { throttled: boolean; wait: Promise<void> } => {
    const now = performance.now();
    const throttled = throttle !== undefined && !throttle.admit(action, now);
    let at = now;
    if (emulation.rateLimit > 0 && !throttled) {
      at = Math.max(now, nextSlot);
      nextSlot = at + 1000 / emulation.rateLimit;
    }
    const latency = jitteredLatency(emulation.latencyMs, emulation.latencyJitterMs ?? 0, random);
    const ms = at - now + latency;
    return {
      throttled,
      wait: ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve(),
    };
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counts: ActionCounts = {};
  const throttledCounts: ActionCounts = {};
  let upstreamMs = 0;

  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readBody(incoming);
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? '(none)';
      counts[action] = (counts[action] ?? 0) + 1;
      const { throttled, wait } = admit(action);
      await wait;
      if (throttled) {
        throttledCounts[action] = (throttledCounts[action] ?? 0) + 1;
        const answer = iamErrorResponse('Throttling', 'Rate exceeded', 400);
        outgoing.writeHead(answer.status, {
          'content-type': 'text/xml',
          'content-length': String(Buffer.byteLength(answer.body)),
        });
        outgoing.end(answer.body);
        return;
      }
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
    throttledSnapshot: () => ({ ...throttledCounts }),
    setEmulation,
    upstreamMs: () => upstreamMs,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
