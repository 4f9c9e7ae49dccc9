// The search attributes that make the Temporal UI a console: find an event's or a policy's workflows by
// policy, type, source and outcome. One definition for the starter, the activities and the workflows.
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { EventResult, PolicyEvent } from '../domain/types';

/** The policy's lower-cased name (IAM names are case-insensitive): on event and policy workflows. */
export const POLICY_NAME = defineSearchAttributeKey('PolicyName', SearchAttributeType.KEYWORD);
/** `iam.policy.upsert` or `iam.policy.delete`: on event workflows. */
export const EVENT_TYPE = defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD);
/** The CloudEvent's `source`: on event workflows. */
export const EVENT_SOURCE = defineSearchAttributeKey('EventSource', SearchAttributeType.KEYWORD);
/** The event's final outcome, set when its workflow ends. */
export const OUTCOME = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);

/**
 * The account an event names (12 digits): on its event workflow, and on the policy workflow of a policy in
 * any account but the worker's default. Absent for the default account, so a namespace needs it only once
 * events name accounts (IAM_ACCOUNTS set).
 */
export const ACCOUNT = defineSearchAttributeKey('Account', SearchAttributeType.KEYWORD);

/** Every attribute the service sets; a namespace must have them all (or TEMPORAL_SEARCH_ATTRIBUTES=off). */
export const SERVICE_SEARCH_ATTRIBUTES = [POLICY_NAME, EVENT_TYPE, EVENT_SOURCE, OUTCOME] as const;

/** What a namespace needs where events may name accounts: the service's attributes and Account. */
export const MULTI_ACCOUNT_SEARCH_ATTRIBUTES = [...SERVICE_SEARCH_ATTRIBUTES, ACCOUNT] as const;

/**
 * A Keyword value holds at most 255 characters on PostgreSQL visibility (a longer one makes the history
 * service log "value too long" forever and the workflow never appears) and 2,048 bytes of JSON on the
 * dev server (a control character is 6 bytes there, an emoji 4). 255 code points of any text stay
 * within both.
 */
export const MAX_KEYWORD_CODE_POINTS = 255;
/** Temporal refuses a start whose summary is over 400 bytes (limit.userMetadataSummarySize). */
export const MAX_SUMMARY_BYTES = 400;
/** Temporal refuses a start whose details are over 20,000 bytes (limit.userMetadataDetailsSize). */
export const MAX_DETAILS_BYTES = 20_000;
const DIGEST_LENGTH = 16;

/** FNV-1a, twice with different offsets: pure, so workflow code can compute it too. Not cryptographic. */
function shortDigest(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193) >>> 0;
  }
  return (a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0')).slice(0, DIGEST_LENGTH);
}

/**
 * `text` when it fits in `maxCodePoints` and `maxBytes` (as JSON, the way Temporal stores it); else as
 * many of its first code points as fit, "…" and a digest of the whole, so different long values stay
 * apart. The full value is kept elsewhere (the workflow's input and details).
 */
export function fitted(text: string, maxCodePoints: number, maxBytes = Number.POSITIVE_INFINITY): string {
  const bytes = (value: string) => new TextEncoder().encode(JSON.stringify(value)).length;
  const codePoints = Array.from(text);
  if (codePoints.length <= maxCodePoints && bytes(text) <= maxBytes) return text;
  const suffix = `…${shortDigest(text)}`;
  const cut = (keep: number) => codePoints.slice(0, keep).join('') + suffix;
  // The longest prefix that fits: a binary search, as the JSON size grows with the prefix.
  let low = 0;
  let high = Math.max(0, Math.min(codePoints.length, maxCodePoints - suffix.length));
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (bytes(cut(middle)) <= maxBytes) low = middle;
    else high = middle - 1;
  }
  return cut(low);
}

/** A Keyword search attribute value every supported visibility store accepts. */
export function keywordValue(text: string): string {
  return fitted(text, MAX_KEYWORD_CODE_POINTS, 2048);
}

export function eventSearchAttributes(event: PolicyEvent): SearchAttributePair[] {
  return [
    { key: POLICY_NAME, value: keywordValue(event.policyName.toLowerCase()) },
    { key: EVENT_TYPE, value: event.type },
    { key: EVENT_SOURCE, value: keywordValue(event.source) },
    ...(event.account !== undefined ? [{ key: ACCOUNT, value: event.account }] : []),
  ];
}

/** `account`: only for a policy outside the worker's default account. */
export function policySearchAttributes(policyName: string, account?: string): SearchAttributePair[] {
  return [
    { key: POLICY_NAME, value: keywordValue(policyName.toLowerCase()) },
    ...(account !== undefined ? [{ key: ACCOUNT, value: account }] : []),
  ];
}

/**
 * Characters a reader would not see, or that rearrange what follows (U+202E shows the rest reversed):
 * C0 and C1 controls, bidi marks, embeddings, overrides and isolates, line and paragraph separators,
 * zero-width characters and the BOM.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/g;

/** `text` with every invisible or reordering character written as \uXXXX. */
export function visible(text: string): string {
  return text.replace(
    INVISIBLE,
    (character) => `\\u${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}

/**
 * The ASCII punctuation that can start markdown (links, images, autolinks "https\://" and "www\.",
 * emphasis, code, HTML, entities, headings, lists, tables), backslash-escaped as CommonMark allows.
 * " % ' , / ; = ? @ start nothing and stay as they are: the Temporal UI's renderer (2.42) does not
 * unescape them and would show the backslash (a path "/" read "\/").
 */
const MARKDOWN_PUNCTUATION = /[!#$&()*+\-.:<>[\\\]^_`{|}~]/g;

/**
 * Untrusted text (an event's id, source, path, tag keys) as literal markdown: invisible characters
 * made visible, and every character that could start a link, image, autolink, emphasis, code span or
 * HTML backslash-escaped, so that it renders as the text it is.
 */
export function markdownLiteral(text: string): string {
  return visible(text).replace(MARKDOWN_PUNCTUATION, (character) => `\\${character}`);
}

/**
 * The summary is one line, which the UI may render as text or as markdown: invisible characters
 * made visible, and the few characters that start a link, image, HTML or autolink escaped.
 */
function summaryText(text: string): string {
  return visible(text).replace(/[\\`*_[\]()<>!]|:(?=\/\/)/g, (character) => `\\${character}`);
}

/** "upsert reports-read (seq 2) from urn:example:access-requests": the event workflow's summary in the UI. */
export function eventSummary(event: PolicyEvent): string {
  const verb = event.type === 'iam.policy.upsert' ? 'upsert' : 'delete';
  const position =
    event.sequence !== undefined ? ` (seq ${event.sequence})` : event.time ? ` (time ${event.time})` : '';
  return fitted(
    `${verb} ${event.policyName}${position} from ${summaryText(event.source)}`,
    200,
    MAX_SUMMARY_BYTES,
  );
}

/** Longer details for the UI: the event's identity and what it asks for, as Temporal markdown. */
export function eventDetails(event: PolicyEvent): string {
  const lines = [
    `**event** ${markdownLiteral(event.id)} from ${markdownLiteral(event.source)}`,
    `**type** ${markdownLiteral(event.type)}, **policy** ${markdownLiteral(event.path + event.policyName)}`,
  ];
  if (event.sequence !== undefined) lines.push(`**sequence** ${event.sequence}`);
  if (event.time) lines.push(`**time** ${markdownLiteral(event.time)}`);
  if (event.tags) {
    const keys = Object.keys(event.tags).map(markdownLiteral);
    lines.push(`**tags** ${keys.join(', ') || '(none)'}`);
  }
  return fitted(lines.join('\n\n'), Number.POSITIVE_INFINITY, MAX_DETAILS_BYTES);
}

export function policySummary(policyName: string, account?: string): string {
  const where = account !== undefined ? ` in account ${account}` : '';
  return `policy ${policyName.toLowerCase()}${where}: applies its events one at a time`;
}

export function outcomeSearchAttributes(result: Pick<EventResult, 'outcome'>): SearchAttributePair[] {
  return [{ key: OUTCOME, value: result.outcome }];
}
