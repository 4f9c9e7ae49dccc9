// Turns an HTTP request into the plain CloudEvents the starter validates, with the `cloudevents`
// package's HTTP binding: structured (application/cloudevents+json), binary (ce-* headers) and batch
// (application/cloudevents-batch+json). The batch is split here so each event gets its own answer.
import { CloudEvent, HTTP } from 'cloudevents';

export type ParsedItem = { value: Record<string, unknown> } | { error: string };

export interface ParsedRequest {
  mode: 'structured' | 'binary' | 'batch';
  items: ParsedItem[];
}

/** The request is not a CloudEvents message at all (415) or not readable as one (400). */
export class UnreadableMessage extends Error {
  constructor(
    message: string,
    readonly status: 400 | 415,
  ) {
    super(message);
  }
}

type Headers = Record<string, string | string[] | undefined>;

function headerValue(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function mediaType(headers: Headers): string {
  return (headerValue(headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * The event as plain JSON, with `time` exactly as the sender sent it. The package's CloudEvent fills in
 * "now" when the event has none and rewrites a sent one with toISOString() (".000Z", offsets made UTC).
 * Either would change the event's order (time orders events without a sequence) and its payload hash
 * (the same event sent by HTTP and by the CLI would look like a conflict).
 */
function plainEvent(event: CloudEvent<unknown>, sentTime: unknown): Record<string, unknown> {
  const json: Record<string, unknown> = { ...event.toJSON() };
  if (sentTime === undefined) delete json.time;
  else json.time = sentTime;
  return json;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function structuredItem(raw: unknown): ParsedItem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { error: 'a structured CloudEvent must be a JSON object' };
  }
  try {
    const event = HTTP.toEvent({
      headers: { 'content-type': 'application/cloudevents+json' },
      body: raw,
    }) as CloudEvent<unknown>;
    return { value: plainEvent(event, (raw as Record<string, unknown>).time) };
  } catch (error) {
    return { error: `not a CloudEvent: ${messageOf(error)}` };
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new UnreadableMessage(`the body is not valid JSON: ${messageOf(error)}`, 400);
  }
}

export function parseRequest(headers: Headers, body: string): ParsedRequest {
  const type = mediaType(headers);
  if (type === 'application/cloudevents-batch+json') {
    const batch = parseJson(body);
    if (!Array.isArray(batch))
      throw new UnreadableMessage('a batch must be a JSON array of CloudEvents', 400);
    if (batch.length === 0) throw new UnreadableMessage('the batch is empty', 400);
    return { mode: 'batch', items: batch.map(structuredItem) };
  }
  if (type === 'application/cloudevents+json') {
    return { mode: 'structured', items: [structuredItem(parseJson(body))] };
  }
  if (headerValue(headers, 'ce-specversion') !== undefined) {
    try {
      const event = HTTP.toEvent({ headers, body }) as CloudEvent<unknown>;
      return {
        mode: 'binary',
        items: [{ value: plainEvent(event, headerValue(headers, 'ce-time')) }],
      };
    } catch (error) {
      return { mode: 'binary', items: [{ error: `not a CloudEvent: ${messageOf(error)}` }] };
    }
  }
  throw new UnreadableMessage(
    'not a CloudEvents message: send application/cloudevents+json (structured), ' +
      'application/cloudevents-batch+json (batch), or ce-* headers with the data as the body (binary)',
    415,
  );
}
