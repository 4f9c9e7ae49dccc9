// Reads submitted events: NDJSON (one CloudEvent a line) or one JSON array, from a file or stdin.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

/** An NDJSON line longer than this is refused unparsed: no valid event comes close. */
export const MAX_LINE_BYTES = 256 * 1024;
/** A JSON array is parsed whole, so its size is bounded too; larger inputs belong in NDJSON. */
export const MAX_ARRAY_BYTES = 64 * 1024 * 1024;

export type InputItem = { line: number; value: unknown } | { line: number; error: string };

export function openInput(file: string): Readable {
  return file === '-' ? process.stdin : createReadStream(file);
}

type RawLine = { line: number; text: string } | { line: number; overLimitBytes: number };

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into numbered lines (LF or CRLF) without holding more than `limit.bytes` of any
 * one line: the rest of a longer line is counted and dropped. `limit` may change between lines.
 */
export async function* boundedLines(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  limit: { bytes: number },
): AsyncGenerator<RawLine> {
  let parts: Buffer[] = [];
  let held = 0;
  let length = 0;
  let lineNumber = 0;
  const finish = (): RawLine => {
    lineNumber += 1;
    const line = lineNumber;
    const over = length > limit.bytes;
    const text = over ? '' : Buffer.concat(parts).toString('utf8').replace(/\r$/, '');
    const result: RawLine = over ? { line, overLimitBytes: length } : { line, text };
    parts = [];
    held = 0;
    length = 0;
    return result;
  };
  const keep = (piece: Buffer): void => {
    length += piece.length;
    // Once over the limit, the line is only counted (a byte more than the limit marks it).
    if (held + piece.length <= limit.bytes) {
      parts.push(piece);
      held += piece.length;
    } else {
      parts = [];
      held = limit.bytes + 1;
    }
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE, start); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      keep(bytes.subarray(start, end));
      yield finish();
      start = end + 1;
    }
    // Copied: the stream may reuse its chunk's memory.
    if (start < bytes.length) keep(Buffer.from(bytes.subarray(start)));
  }
  if (length > 0 || parts.length > 0) yield finish();
}

/**
 * Yields every event with its line number (for a JSON array: its 1-based index). A line that is not JSON
 * is yielded as an error so the caller reports it and goes on with the rest.
 */
export async function* readEvents(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  maxArrayBytes = MAX_ARRAY_BYTES,
): AsyncGenerator<InputItem> {
  // Until the format is known a line may be an array's; NDJSON lines are then held to MAX_LINE_BYTES.
  const limit = { bytes: maxArrayBytes };
  // The first non-blank line decides the format: '[' starts one JSON array, anything else is NDJSON.
  let format: 'unknown' | 'ndjson' | 'array' = 'unknown';
  const arrayLines: { line: number; text: string }[] = [];
  let arrayBytes = 0;
  for await (const raw of boundedLines(input, limit)) {
    if (format === 'array') {
      arrayBytes += 'text' in raw ? Buffer.byteLength(raw.text) + 1 : raw.overLimitBytes;
      if (!('text' in raw) || arrayBytes > maxArrayBytes) {
        yield {
          line: 1,
          error: `the JSON array is over ${maxArrayBytes} bytes; send large inputs as NDJSON`,
        };
        return;
      }
      arrayLines.push(raw);
      continue;
    }
    if (!('text' in raw)) {
      format = 'ndjson';
      limit.bytes = MAX_LINE_BYTES;
      yield overLimit(raw.line, raw.overLimitBytes);
      continue;
    }
    if (raw.text.trim() === '') continue;
    if (format === 'unknown') {
      format = raw.text.trimStart().startsWith('[') ? 'array' : 'ndjson';
      if (format === 'array') {
        arrayLines.push(raw);
        arrayBytes = Buffer.byteLength(raw.text) + 1;
        continue;
      }
      limit.bytes = MAX_LINE_BYTES;
    }
    yield parseLine(raw.line, raw.text);
  }
  if (format === 'array') yield* parseArray(arrayLines);
}

function overLimit(line: number, bytes: number): InputItem {
  return { line, error: `line is ${bytes} bytes, over the limit of ${MAX_LINE_BYTES}` };
}

function parseLine(line: number, text: string): InputItem {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_LINE_BYTES) return overLimit(line, bytes);
  try {
    return { line, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { line, error: `not valid JSON: ${(error as Error).message}` };
  }
}

/**
 * One JSON array: its elements, numbered by position. If it is not one (a first line that merely starts
 * with '['), the lines are read as NDJSON instead, so no event after a bad first line is lost.
 */
function* parseArray(lines: { line: number; text: string }[]): Generator<InputItem> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(lines.map((l) => l.text).join('\n'));
  } catch {
    for (const { line, text } of lines) if (text.trim() !== '') yield parseLine(line, text);
    return;
  }
  if (!Array.isArray(parsed)) {
    yield { line: 1, error: 'the input is not a JSON array' };
    return;
  }
  for (const [index, value] of parsed.entries()) yield { line: index + 1, value: value as unknown };
}
