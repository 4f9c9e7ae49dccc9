// Turns an HTTP request into the plain CloudEvents the starter validates, following the CloudEvents
// HTTP binding: structured (application/cloudevents+json), binary (ce-* headers) and batch
// (application/cloudevents-batch+json). The batch is split here so each event gets its own answer.
//
// The event is handed on exactly as sent, with nothing filled in: the `cloudevents` package's
// constructor invents a UUID for a missing `id`, "1.0" for a missing `specversion` and "now" for a
// missing `time`, which would turn every redelivery into a new event. Validation is the starter's
// (src/sources/event-validation.ts), the same for every source.

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

const CE_PREFIX = 'ce-';

function headerValue(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function mediaType(headers: Headers): string {
  return (headerValue(headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function structuredItem(raw: unknown): ParsedItem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { error: 'a structured CloudEvent must be a JSON object' };
  }
  return { value: raw as Record<string, unknown> };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new UnreadableMessage(`the body is not valid JSON: ${messageOf(error)}`, 400);
  }
}

/** Header names as Node gives them are lower-case; a plain object from elsewhere may not be. */
function ceHeaders(headers: Headers): [string, string][] {
  const found: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!lower.startsWith(CE_PREFIX) || value === undefined) continue;
    found.push([lower.slice(CE_PREFIX.length), Array.isArray(value) ? value.join(', ') : value]);
  }
  return found;
}

/** Binary mode: the attributes from the ce-* headers, the body as `data` (JSON when declared so). */
function binaryItem(headers: Headers, body: string): ParsedItem {
  const event: Record<string, unknown> = {};
  for (const [attribute, value] of ceHeaders(headers)) {
    // An attribute named like an object's own keys would reach the validator as an ordinary field.
    Object.defineProperty(event, attribute, { value, enumerable: true, writable: true, configurable: true });
  }
  const type = mediaType(headers);
  if (type !== '') event.datacontenttype = type;
  if (body !== '') {
    if (type === 'application/json') {
      try {
        event.data = JSON.parse(body) as unknown;
      } catch (error) {
        return { error: `data is not valid JSON: ${messageOf(error)}` };
      }
    } else {
      event.data = body;
    }
  }
  return { value: event };
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
  // Any ce-* header makes it binary mode, so a missing ce-specversion or ce-id is reported as such.
  if (ceHeaders(headers).length > 0) return { mode: 'binary', items: [binaryItem(headers, body)] };
  throw new UnreadableMessage(
    'not a CloudEvents message: send application/cloudevents+json (structured), ' +
      'application/cloudevents-batch+json (batch), or ce-* headers with the data as the body (binary)',
    415,
  );
}
