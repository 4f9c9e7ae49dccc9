// The HTTP binding hands the starter the event as sent: `time` is neither invented nor rewritten.
import { parseRequest } from '../../src/sources/http/parse';

const event = (time?: string) => ({
  specversion: '1.0',
  id: 'evt-1',
  source: 'urn:test',
  type: 'iam.policy.delete',
  ...(time !== undefined ? { time } : {}),
  data: { policyName: 'p' },
});

test.each(['2026-11-28T09:00:00Z', '2026-11-28T11:00:00+02:00', '2026-11-28T09:00:00.123456789Z'])(
  'structured and batch keep time %s as sent',
  (time) => {
    const structured = parseRequest(
      { 'content-type': 'application/cloudevents+json' },
      JSON.stringify(event(time)),
    );
    expect(structured.items).toEqual([{ value: expect.objectContaining({ time }) }]);
    const batch = parseRequest(
      { 'content-type': 'application/cloudevents-batch+json' },
      JSON.stringify([event(time), event()]),
    );
    expect(batch.items[0]).toEqual({ value: expect.objectContaining({ time }) });
    expect(batch.items[1]).toEqual({ value: expect.not.objectContaining({ time: expect.anything() }) });
  },
);

test('binary mode keeps ce-time as sent, and invents none', () => {
  const headers = {
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': 'evt-1',
    'ce-source': 'urn:test',
    'ce-type': 'iam.policy.delete',
  };
  const body = JSON.stringify({ policyName: 'p' });
  const withTime = parseRequest({ ...headers, 'ce-time': '2026-11-28T11:00:00+02:00' }, body);
  expect(withTime.items).toEqual([{ value: expect.objectContaining({ time: '2026-11-28T11:00:00+02:00' }) }]);
  const [item] = parseRequest(headers, body).items;
  expect('value' in item && 'time' in item.value).toBe(false);
});
