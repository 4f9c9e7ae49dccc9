import { Readable } from 'node:stream';
import { boundedLines, MAX_LINE_BYTES, readEvents, type InputItem } from '../../src/sources/ndjson-input';

async function read(text: string): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for await (const item of readEvents(Readable.from([text]))) items.push(item);
  return items;
}

test('NDJSON: one item per non-blank line, numbered by line, bad JSON reported and skipped past', async () => {
  const items = await read('{"a":1}\n\n{broken\r\n{"b":2}\n');
  expect(items).toEqual([
    { line: 1, value: { a: 1 } },
    { line: 3, error: expect.stringMatching(/^not valid JSON/) },
    { line: 4, value: { b: 2 } },
  ]);
});

test('a JSON array (even pretty-printed over many lines) yields its elements by position', async () => {
  const items = await read('\n[\n  {"a": 1},\n  {"b": 2}\n]\n');
  expect(items).toEqual([
    { line: 1, value: { a: 1 } },
    { line: 2, value: { b: 2 } },
  ]);
});

test('input that starts with [ but is no JSON array is read line by line: nothing after it is lost', async () => {
  const items = await read('[1,2\n{"a":1}\n\n{"b":2}\n');
  expect(items).toEqual([
    { line: 1, error: expect.stringMatching(/^not valid JSON/) },
    { line: 2, value: { a: 1 } },
    { line: 4, value: { b: 2 } },
  ]);
});

test('an over-long line is refused before parsing and the next line still counts', async () => {
  const huge = `{"x":"${'a'.repeat(MAX_LINE_BYTES)}"}`;
  const items = await read(`${huge}\n{"ok":true}\n`);
  expect(items[0]).toEqual({ line: 1, error: expect.stringMatching(/over the limit of 262144/) });
  expect(items[1]).toEqual({ line: 2, value: { ok: true } });
});

test('a line that is JSON but not an object is passed on for validation to reject', async () => {
  expect(await read('42\n"text"\n')).toEqual([
    { line: 1, value: 42 },
    { line: 2, value: 'text' },
  ]);
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

test('lines are split on bytes: CRLF, characters cut between chunks, a last line without newline', async () => {
  const e = Buffer.from('é', 'utf8');
  const chunks = [
    Buffer.from('ab\r\nc'),
    e.subarray(0, 1),
    Buffer.concat([e.subarray(1), Buffer.from('\n\nlast')]),
  ];
  expect(await collect(boundedLines(chunks, { bytes: 100 }))).toEqual([
    { line: 1, text: 'ab' },
    { line: 2, text: 'cé' },
    { line: 3, text: '' },
    { line: 4, text: 'last' },
  ]);
});

test('a line over the limit is counted, not held, across chunks', async () => {
  const chunks = ['abc', 'defghijklmno\nxy', 'z\r\n', '0123456789'];
  expect(await collect(boundedLines(chunks, { bytes: 10 }))).toEqual([
    { line: 1, overLimitBytes: 15 },
    { line: 2, text: 'xyz' },
    { line: 3, text: '0123456789' },
  ]);
});

test('an endless NDJSON line is refused as it streams, and the stream goes on after it', async () => {
  // 8 MiB without a newline, in 64 KiB chunks, then a good line.
  async function* source() {
    yield await Promise.resolve('{"x":"');
    const chunk = Buffer.alloc(64 * 1024, 'a');
    for (let i = 0; i < 128; i += 1) yield chunk;
    yield '"}\n{"ok":true}\n';
  }
  const items = await collect(readEvents(source()));
  expect(items).toEqual([
    { line: 1, error: `line is ${8 * 1024 * 1024 + 8} bytes, over the limit of ${MAX_LINE_BYTES}` },
    { line: 2, value: { ok: true } },
  ]);
});

test('a JSON array over its size limit is refused with a hint to use NDJSON', async () => {
  const items = await collect(readEvents(['[\n{"a":1},\n{"b":2},\n{"c":3}\n]\n'], 20));
  expect(items).toEqual([{ line: 1, error: 'the JSON array is over 20 bytes; send large inputs as NDJSON' }]);
});
