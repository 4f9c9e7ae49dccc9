// Values written to search attributes, summaries and details fit every supported server, and a start
// Temporal refuses as invalid is reported `rejected` with the server's reason, not thrown.
import type { Client } from '@temporalio/client';
import type { PolicyEvent } from '../../src/domain/types';
import {
  eventDetails,
  eventSearchAttributes,
  eventSummary,
  keywordValue,
  MAX_DETAILS_BYTES,
  MAX_SUMMARY_BYTES,
} from '../../src/messages/search-attributes';
import { submitEvent } from '../../src/starter/submit';

const jsonBytes = (value: string) => Buffer.byteLength(JSON.stringify(value));

const LONG_VALUES: [string, string][] = [
  ['512 emoji', '😀'.repeat(512)],
  ['400 control characters', '\u0001'.repeat(400)],
  ['512 ASCII characters', 'a'.repeat(512)],
  ['256 ASCII characters', 'b'.repeat(256)],
];

test.each(LONG_VALUES)(
  'a Keyword value of %s fits PostgreSQL (255 characters) and the dev server (2,048 bytes)',
  (_name, text) => {
    const value = keywordValue(text);
    expect(Array.from(value).length).toBeLessThanOrEqual(255);
    expect(jsonBytes(value)).toBeLessThanOrEqual(2048);
    expect(value).not.toBe(text);
    // Two long values that share their first 255 characters stay apart.
    expect(keywordValue(`${text}x`)).not.toBe(value);
  },
);

test('short values are unchanged', () => {
  expect(keywordValue('urn:example:access-requests')).toBe('urn:example:access-requests');
  expect(keywordValue('c'.repeat(255))).toBe('c'.repeat(255));
});

test.each(LONG_VALUES)(
  'an event whose source is %s: attributes, summary and details fit',
  (_name, source) => {
    const event: PolicyEvent = {
      source,
      id: source.slice(0, 256),
      type: 'iam.policy.upsert',
      policyName: 'p'.repeat(128),
      path: '/',
      sequence: '9'.repeat(19),
      tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}`.padEnd(128, '\u0002'), 'v'])),
    };
    for (const { value } of eventSearchAttributes(event)) {
      expect(Array.from(String(value)).length).toBeLessThanOrEqual(255);
      expect(jsonBytes(String(value))).toBeLessThanOrEqual(2048);
    }
    expect(jsonBytes(eventSummary(event))).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    expect(jsonBytes(eventDetails(event))).toBeLessThanOrEqual(MAX_DETAILS_BYTES);
  },
);

describe('a start Temporal refuses', () => {
  const event = {
    specversion: '1.0',
    id: 'evt-1',
    source: 'urn:test',
    type: 'iam.policy.delete',
    data: { policyName: 'p' },
  };
  const refusing = (error: Error) =>
    ({
      options: { namespace: 'default' },
      workflow: { start: () => Promise.reject(error) },
    }) as unknown as Client;

  test('as invalid (INVALID_ARGUMENT): rejected with its reason, not thrown', async () => {
    const grpc = Object.assign(new Error('3 INVALID_ARGUMENT: search attribute value too long'), {
      code: 3,
      details: 'search attribute value too long',
    });
    const serviceError = new Error('Failed to start Workflow', { cause: grpc });
    const report = await submitEvent(event, { client: refusing(serviceError), taskQueue: 'q', wait: false });
    expect(report).toEqual(
      expect.objectContaining({
        outcome: 'rejected',
        id: 'evt-1',
        reason: "Temporal refused the event's workflow: search attribute value too long",
      }),
    );
  });

  test('as unavailable: thrown, so the source retries', async () => {
    const grpc = Object.assign(new Error('14 UNAVAILABLE: connection refused'), { code: 14 });
    await expect(
      submitEvent(event, {
        client: refusing(new Error('unavailable', { cause: grpc })),
        taskQueue: 'q',
        wait: false,
      }),
    ).rejects.toThrow('unavailable');
  });
});
