// The ingest HTTP server: POST a CloudEvent (or a batch) and get 202 once its workflow has started, so
// an accepted event is never lost. Answers per event: accepted 202, duplicate 200, conflict 409,
// rejected 400; a batch answers with the most severe of its events' codes and every event's result.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { SubmitReport } from '../../starter/submit';
import { parseRequest, UnreadableMessage, type ParsedItem } from './parse';

export interface IngestDependencies {
  /** Submits one parsed event without waiting for its outcome (the starter library's submitEvent). */
  submit(raw: unknown): Promise<SubmitReport>;
  /** True when Temporal answers: /readyz. */
  ready(): Promise<boolean>;
  token?: string;
  bodyLimit: number;
  /** Longest wait for Temporal per request; then 503 with Retry-After (INGEST_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** Most events in one batch; a larger batch gets 413 (INGEST_BATCH_LIMIT). */
  batchLimit?: number;
  logger: Logger;
}

const STATUS_OF_OUTCOME: Record<string, number> = {
  accepted: 202,
  duplicate: 200,
  conflict: 409,
  rejected: 400,
};
/** For a batch: the answer is the code of its most severe event. */
const SEVERITY = [400, 409, 202, 200];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  response.end(text);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function authorised(request: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = request.headers.authorization ?? '';
  const match = /^Bearer (.+)$/i.exec(header);
  // Compared as digests, in constant time: the token's length and content do not leak through timing.
  return match !== null && timingSafeEqual(digest(match[1]), digest(token));
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, `the body is over the limit of ${limit} bytes`, { connection: 'close' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new HttpError(413, `the body is over the limit of ${limit} bytes`, { connection: 'close' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const RETRY_AFTER_SECONDS = '5';
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

class DeadlineExceeded extends Error {}

/** `work`, or a DeadlineExceeded after `timeoutMs`: a hung Temporal must not hold the request. */
async function withinDeadline<T>(work: Promise<T>, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new DeadlineExceeded(`no answer from Temporal within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  // What is still in flight after the deadline ends on its own; its failure is not reported twice.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const DEFAULT_BATCH_LIMIT = 500;
/** Policies of one batch submitted side by side. */
const BATCH_CONCURRENCY = 16;

/** Events about one policy share a key (IAM names are case-insensitive); anything else is alone. */
function orderingKey(item: ParsedItem, index: number): string {
  const data = 'value' in item ? item.value.data : undefined;
  const name =
    typeof data === 'object' && data !== null ? (data as { policyName?: unknown }).policyName : undefined;
  return typeof name === 'string' ? `policy:${name.toLowerCase()}` : `item:${index}`;
}

/**
 * A batch's events for one policy reach Temporal one after another, in the order the sender gave them;
 * different policies go side by side, BATCH_CONCURRENCY at a time. Results keep the batch's order.
 */
async function submitAll(
  items: ParsedItem[],
  deps: IngestDependencies,
): Promise<(SubmitReport & { status: number })[]> {
  const groups = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = orderingKey(item, index);
    groups.set(key, [...(groups.get(key) ?? []), index]);
  });
  const queue = [...groups.values()];
  const results = new Array<SubmitReport & { status: number }>(items.length);
  const runner = async () => {
    for (let group = queue.shift(); group !== undefined; group = queue.shift()) {
      for (const index of group) results[index] = await submitItem(items[index], deps);
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, queue.length) }, runner));
  return results;
}

/** The answer for one event: its report, with its own HTTP status. */
async function submitItem(
  item: ParsedItem,
  deps: IngestDependencies,
): Promise<SubmitReport & { status: number }> {
  const report: SubmitReport =
    'error' in item ? { outcome: 'rejected', reason: item.error } : await deps.submit(item.value);
  return { ...report, status: STATUS_OF_OUTCOME[report.outcome] ?? 500 };
}

async function handleEvents(request: IncomingMessage, response: ServerResponse, deps: IngestDependencies) {
  if (!authorised(request, deps.token)) {
    throw new HttpError(401, 'missing or wrong bearer token', { 'www-authenticate': 'Bearer' });
  }
  const body = await readBody(request, deps.bodyLimit);
  let parsed;
  try {
    parsed = parseRequest(request.headers, body);
  } catch (error) {
    if (error instanceof UnreadableMessage) throw new HttpError(error.status, error.message);
    throw error;
  }
  const batchLimit = deps.batchLimit ?? DEFAULT_BATCH_LIMIT;
  if (parsed.items.length > batchLimit) {
    throw new HttpError(
      413,
      `the batch has ${parsed.items.length} events, over the limit of ${batchLimit}; split it`,
    );
  }
  const started = Date.now();
  let results;
  try {
    results = await withinDeadline(submitAll(parsed.items, deps), deps.requestTimeoutMs);
  } catch (error) {
    // Temporal unreachable, refusing or not answering: the sender retries, and a retry of an event that
    // did start is a duplicate.
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.warn(
      { event: 'ingest', mode: parsed.mode, reason: message },
      'could not start event workflows',
    );
    throw new HttpError(503, `Temporal is unavailable: ${message}`, { 'retry-after': RETRY_AFTER_SECONDS });
  }
  deps.logger.info(
    {
      event: 'ingest',
      mode: parsed.mode,
      outcomes: results.map((r) => r.outcome),
      durationMs: Date.now() - started,
    },
    'events received',
  );
  for (const result of results) {
    if (result.outcome !== 'rejected' && result.outcome !== 'conflict') continue;
    deps.logger.warn(
      {
        event: 'ingest',
        mode: parsed.mode,
        outcome: result.outcome,
        source: result.source,
        id: result.id,
        policy: result.policyName,
        reason: result.reason,
      },
      'event not accepted',
    );
  }
  if (parsed.mode === 'batch') {
    const status = SEVERITY.find((code) => results.some((r) => r.status === code)) ?? 500;
    send(response, status, { results });
  } else {
    const [{ status, ...result }] = results;
    send(response, status, result);
  }
}

async function route(request: IncomingMessage, response: ServerResponse, deps: IngestDependencies) {
  const path = (request.url ?? '/').split('?')[0];
  if (path === '/healthz') return send(response, 200, { status: 'ok' });
  if (path === '/readyz') {
    const ready = await deps.ready().catch(() => false);
    return send(response, ready ? 200 : 503, { status: ready ? 'ready' : 'Temporal is not reachable' });
  }
  if (path !== '/' && path !== '/events') throw new HttpError(404, 'not found: POST events to / or /events');
  if (request.method !== 'POST') throw new HttpError(405, 'use POST', { allow: 'POST' });
  return handleEvents(request, response, deps);
}

export function createIngestServer(deps: IngestDependencies): Server {
  return createServer((request, response) => {
    route(request, response, deps).catch((error: unknown) => {
      // The client went away (mid-body, or before the answer): nobody to answer, and not our error.
      if (request.readableAborted || request.socket.destroyed) {
        deps.logger.info(
          { reason: error instanceof Error ? error.message : String(error) },
          'client disconnected before its request was answered',
        );
        return response.destroy();
      }
      if (response.headersSent) return response.destroy();
      if (error instanceof HttpError)
        return send(response, error.status, { error: error.message }, error.headers);
      deps.logger.error({ err: error }, 'ingest request failed');
      send(response, 500, { error: 'internal error' });
    });
  });
}
