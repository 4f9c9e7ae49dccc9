import { Readable } from 'node:stream';
import { MAX_LINE_BYTES, readEvents, type InputItem } from '../../src/starter/input';

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
