// Reads submitted events: NDJSON (one CloudEvent a line) or one JSON array, from a file or stdin.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** A line longer than this is refused before it is parsed: no valid event comes close. */
export const MAX_LINE_BYTES = 256 * 1024;

export type InputItem = { line: number; value: unknown } | { line: number; error: string };

export function openInput(file: string): Readable {
  return file === '-' ? process.stdin : createReadStream(file);
}

/**
 * Yields every event with its line number (for a JSON array: its 1-based index). A line that is not JSON
 * is yielded as an error so the caller reports it and goes on with the rest.
 */
export async function* readEvents(input: Readable): AsyncGenerator<InputItem> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  // The first non-blank line decides the format: '[' starts one JSON array, anything else is NDJSON.
  let format: 'unknown' | 'ndjson' | 'array' = 'unknown';
  const arrayLines: { line: number; text: string }[] = [];
  for await (const text of lines) {
    lineNumber += 1;
    if (format === 'array') {
      arrayLines.push({ line: lineNumber, text });
      continue;
    }
    if (text.trim() === '') continue;
    if (format === 'unknown') {
      format = text.trimStart().startsWith('[') ? 'array' : 'ndjson';
      if (format === 'array') {
        arrayLines.push({ line: lineNumber, text });
        continue;
      }
    }
    yield parseLine(lineNumber, text);
  }
  if (format === 'array') yield* parseArray(arrayLines);
}

function parseLine(line: number, text: string): InputItem {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_LINE_BYTES) {
    return { line, error: `line is ${bytes} bytes, over the limit of ${MAX_LINE_BYTES}` };
  }
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
