// A pass-through proxy in front of the test's IAM (moto, or the strict proxy before it), one per worker
// process: it records each IAM write with the policy it names, the worker that sent it, when it began
// and ended and IAM's status, in a log shared by all the workers of a test. From it a test sees whether
// two writes of one policy were ever in flight at once (two writers) and which worker wrote what, and
// can act right after IAM applied a write (kill the worker that sent it, or a Temporal service).
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http';
import { POLICY_WRITE_ACTIONS } from './iam-proxy-types';

export interface IamWrite {
  /** The recorder's label: which worker sent it. */
  worker: string;
  action: string;
  /** The policy's name, lower-cased (from PolicyName or the last part of PolicyArn). */
  policy: string;
  params: Record<string, string>;
  /** Milliseconds (performance.now) when the request arrived and when IAM's answer came back. */
  start: number;
  end?: number;
  /** IAM's HTTP status; undefined when no answer came. */
  status?: number;
}

/** What a hook answers: 'drop' cuts the connection instead of passing IAM's answer on (the write stays applied). */
export type AfterWrite = (write: IamWrite) => void | 'drop' | Promise<void | 'drop'>;

export class IamWriteLog {
  readonly writes: IamWrite[] = [];
  private hooks: { when: (write: IamWrite) => boolean; run: AfterWrite }[] = [];

  /** Runs `run` once, after IAM applied the first write that `when` accepts. */
  once(when: (write: IamWrite) => boolean, run: AfterWrite): void {
    this.hooks.push({ when, run });
  }

  /** A hook for `write`, removed as it is taken (each runs once). */
  takeHook(write: IamWrite): AfterWrite | undefined {
    const index = this.hooks.findIndex((hook) => hook.when(write));
    if (index < 0) return undefined;
    const [hook] = this.hooks.splice(index, 1);
    return hook.run;
  }

  pendingHooks(): number {
    return this.hooks.length;
  }

  /** Writes IAM applied (a 2xx answer, whether or not it reached the worker). */
  applied(): IamWrite[] {
    return this.writes.filter((write) => write.status !== undefined && write.status < 300);
  }

  /** Pairs of writes to one policy that were in flight at the same time, described. */
  overlaps(): string[] {
    const found: string[] = [];
    const byPolicy = new Map<string, IamWrite[]>();
    for (const write of this.writes)
      byPolicy.set(write.policy, [...(byPolicy.get(write.policy) ?? []), write]);
    for (const [policy, writes] of byPolicy) {
      const sorted = [...writes].sort((a, b) => a.start - b.start);
      sorted.forEach((a, i) => {
        for (const b of sorted.slice(i + 1)) {
          if (b.start >= (a.end ?? Number.POSITIVE_INFINITY)) break;
          found.push(
            `${policy}: ${a.action} by ${a.worker} (${a.start.toFixed(0)}-${a.end?.toFixed(0) ?? 'open'} ms) ` +
              `overlaps ${b.action} by ${b.worker} (from ${b.start.toFixed(0)} ms)`,
          );
        }
      });
    }
    return found;
  }
}

export function policyOf(params: Record<string, string>): string {
  const name = params.PolicyName ?? (params.PolicyArn ?? '').split('/').pop() ?? '';
  return name.toLowerCase();
}

export interface WriteRecorder {
  /** http://127.0.0.1:port, the worker's AWS_ENDPOINT_URL. */
  endpoint: string;
  close(): Promise<void>;
}

function forward(
  target: URL,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const outgoing = { ...headers, host: target.host, 'content-length': String(body.length) };
  delete outgoing['transfer-encoding'];
  return new Promise((resolve, reject) => {
    const upstream = request(
      { hostname: target.hostname, port: target.port, method, path, headers: outgoing },
      (response) => {
        readBody(response).then((data) => {
          const kept: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (
              typeof value === 'string' &&
              !['content-length', 'transfer-encoding', 'connection'].includes(name)
            )
              kept[name] = value;
          }
          resolve({ status: response.statusCode ?? 502, headers: kept, body: data });
        }, reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/** Starts a recorder for `worker` on a free loopback port, forwarding to `target`. */
export async function startWriteRecorder(
  target: string,
  worker: string,
  log: IamWriteLog,
): Promise<WriteRecorder> {
  const targetUrl = new URL(target);
  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readBody(incoming);
      const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      const isWrite = POLICY_WRITE_ACTIONS.has(params.Action ?? '');
      const write: IamWrite | undefined = isWrite
        ? { worker, action: params.Action, policy: policyOf(params), params, start: performance.now() }
        : undefined;
      if (write) log.writes.push(write);
      const answer = await forward(
        targetUrl,
        incoming.method ?? 'POST',
        incoming.url ?? '/',
        incoming.headers,
        body,
      ).finally(() => {
        // No answer at all (IAM unreachable) ends the write too: it is no longer in flight.
        if (write) write.end = performance.now();
      });
      if (write) {
        write.status = answer.status;
        const hook = answer.status < 300 ? log.takeHook(write) : undefined;
        if (hook && (await hook(write)) === 'drop') {
          incoming.socket.destroy();
          return;
        }
      }
      outgoing.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
      outgoing.end(answer.body);
    })().catch((error: unknown) => {
      if (outgoing.headersSent || outgoing.destroyed) return;
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`iam-write-recorder: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
