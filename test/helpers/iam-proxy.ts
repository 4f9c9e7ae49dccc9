// A loopback HTTP proxy in front of moto: it records every AWS Query request (Action and parameters)
// and lets a test answer chosen requests itself, to reproduce real-IAM behaviour moto lacks
// (DeleteConflict, URL-encoded documents, case-insensitive names) or to inject faults.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  /** The Query API action, e.g. "GetPolicy"; '' for requests that carry none (moto-api). */
  action: string;
  /** Every form parameter of the request, e.g. PolicyArn, PolicyUsageFilter. */
  params: Record<string, string>;
}

export interface ProxyResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Sends the request on to moto and returns its answer, for rules that alter it. */
export type Forward = () => Promise<ProxyResponse>;

export interface ProxyRule {
  action: string;
  /** Only requests whose parameters pass this test; all of the action's requests when absent. */
  when?: (params: Record<string, string>) => boolean;
  /** How many matching requests the rule answers before it lapses; unlimited when absent. */
  times?: number;
  respond: (request: RecordedRequest, forward: Forward) => ProxyResponse | Promise<ProxyResponse>;
}

export interface IamProxy {
  /** http://127.0.0.1:port, for the SDK's `endpoint`. */
  endpoint: string;
  /** Every request so far, in arrival order. */
  readonly requests: RecordedRequest[];
  actions(): string[];
  count(action: string): number;
  clearRequests(): void;
  addRule(rule: ProxyRule): void;
  clearRules(): void;
  close(): Promise<void>;
}

function readBody(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', reject);
  });
}

function forwardTo(
  target: URL,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Promise<ProxyResponse> {
  const outgoing = { ...headers, host: target.host, 'content-length': String(body.length) };
  delete outgoing['transfer-encoding'];
  return new Promise((resolve, reject) => {
    const upstream = request(
      { hostname: target.hostname, port: target.port, method, path, headers: outgoing },
      (response) => {
        readBody(response).then((data) => {
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (
              typeof value === 'string' &&
              !['content-length', 'transfer-encoding', 'connection'].includes(name)
            ) {
              responseHeaders[name] = value;
            }
          }
          resolve({
            status: response.statusCode ?? 502,
            body: data.toString('utf8'),
            headers: responseHeaders,
          });
        }, reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/** Starts a proxy on a free loopback port that forwards to `target` (moto's http://host:port). */
export async function startIamProxy(target: string): Promise<IamProxy> {
  const targetUrl = new URL(target);
  const requests: RecordedRequest[] = [];
  let rules: (ProxyRule & { used: number })[] = [];

  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readBody(incoming);
      const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
      const recorded: RecordedRequest = { action: params.Action ?? '', params };
      requests.push(recorded);
      const forward = () =>
        forwardTo(targetUrl, incoming.method ?? 'POST', incoming.url ?? '/', incoming.headers, body);
      const rule = rules.find(
        (candidate) =>
          candidate.action === recorded.action &&
          (candidate.times === undefined || candidate.used < candidate.times) &&
          (candidate.when === undefined || candidate.when(params)),
      );
      if (rule) rule.used += 1;
      const answer = rule ? await rule.respond(recorded, forward) : await forward();
      outgoing.writeHead(answer.status, {
        'content-type': 'text/xml',
        ...answer.headers,
        'content-length': String(Buffer.byteLength(answer.body)),
      });
      outgoing.end(answer.body);
    })().catch((error: unknown) => {
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`iam-proxy: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    actions: () => requests.map((recorded) => recorded.action),
    count: (action) => requests.filter((recorded) => recorded.action === action).length,
    clearRequests: () => {
      requests.length = 0;
    },
    addRule: (rule) => {
      rules.push({ ...rule, used: 0 });
    },
    clearRules: () => {
      rules = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** An IAM error answer as real IAM sends it (HTTP 4xx/5xx with an XML ErrorResponse). */
export function iamErrorResponse(code: string, message: string, status = 400): ProxyResponse {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return {
    status,
    body:
      '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">' +
      `<Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
      '<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>',
  };
}

/** RFC 3986 percent-encoding, as real IAM applies to policy documents. */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Rewrites every <Document> in an answer the way real IAM returns it: URL-encoded. */
export function urlEncodeDocuments(response: ProxyResponse): ProxyResponse {
  return {
    ...response,
    body: response.body.replace(
      /<Document>([\s\S]*?)<\/Document>/g,
      (_, document: string) => `<Document>${encodeRfc3986(unescapeXml(document))}</Document>`,
    ),
  };
}
