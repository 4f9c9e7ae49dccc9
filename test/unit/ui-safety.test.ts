// What the Web UI shows of an event: its details and summary render untrusted ids and sources as text
// (no link, image, autolink or HTML), and its workflow ID shows control and bidi characters escaped.
/* eslint-disable no-control-regex -- the tests look for control characters */
import type { PolicyEvent } from '../../src/domain/types';
import { eventDetails, eventSummary, markdownLiteral } from '../../src/messages/search-attributes';
import { eventWorkflowId } from '../../src/temporal/event-identity';

const HOSTILE = [
  '[click me](https://evil.example/steal)',
  '![x](https://evil.example/pixel.png)',
  '<img src=x onerror=alert(1)>',
  '`code` **bold** <https://evil.example>',
  'https://evil.example/autolink www.evil.example',
  'abc\u202Edcba',
  'line\nbreak\r\u2028',
];

function event(id: string, source = 'urn:test'): PolicyEvent {
  return { source, id, type: 'iam.policy.delete', policyName: 'p', path: '/' };
}

/** Markdown that would become a link, image, HTML element or autolink when rendered. */
const ACTIVE =
  /(?<!\\)\[[^\]]*(?<!\\)\]\(|(?<!\\)<[a-z!/]|(?<!\\)https?:\/\/|(?<!\\)www\.|[\u0000-\u0009\u000B-\u001F\u202A-\u202E\u2066-\u2069\u2028]/i;

test.each(HOSTILE)('details and summary keep %j inert', (text) => {
  expect(eventDetails(event(text, text))).not.toMatch(ACTIVE);
  expect(eventSummary(event(text, text))).not.toMatch(
    /(?<!\\)<[a-z!/]|(?<!\\)\]\(|(?<!\\):\/\/|[\u0000-\u001F\u202A-\u202E\u2028]/i,
  );
});

test('escaped text reads the same once rendered: every escape is one CommonMark allows', () => {
  expect(markdownLiteral('a_b [c](d) <e> & f')).toBe('a\\_b \\[c\\]\\(d\\) \\<e\\> \\& f');
  expect(markdownLiteral('x\u202Ey')).toBe('x\\\\u202Ey');
  // Punctuation that starts nothing is left alone: the UI's renderer would show a backslash before it.
  expect(markdownLiteral('/team/ a=b, c\'s d@e? 50%; "q"')).toBe('/team/ a=b, c\'s d@e? 50%; "q"');
});

test('workflow IDs show control and bidi characters escaped; plain ASCII IDs are unchanged', () => {
  expect(eventWorkflowId('urn:example:access-requests', 'evt-0001')).toBe(
    'event/urn:example:access-requests/evt-0001',
  );
  expect(eventWorkflowId('urn:x', 'abc\u202Edcba')).toBe('event/urn:x/abc%u202Edcba');
  expect(eventWorkflowId('urn:\u0000x', 'a\nb')).toBe('event/urn:%u0000x/a%u000Ab');
  // Still injective: the escaped form sent literally is another ID ('%' itself is escaped).
  expect(eventWorkflowId('urn:x', '%u202E')).not.toBe(eventWorkflowId('urn:x', '\u202E'));
  for (const text of HOSTILE) {
    expect(eventWorkflowId(text, text)).not.toMatch(
      /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u2028-\u202E\u2066-\u2069]/,
    );
  }
});
