// Temporal workflow IDs and payload fingerprints for events. Node-only (node:crypto): used by the
// starter and activities, never by workflow code.

import { createHash } from 'node:crypto';
import { auditTagValue } from '../domain/audit-tags';
import { canonicalJson, normalisePolicyDocument } from '../domain/document';
import type { PolicyEvent } from '../domain/types';

export { policyWorkflowId } from '../domain/ids';

/**
 * Longest event workflow ID kept readable, in code points (at most 800 bytes of UTF-8, well within
 * Temporal's default ID limit of 1,000 bytes); longer ones are shortened and completed by a hash.
 */
const MAX_READABLE_ID_LENGTH = 200;
const SHORTENED_PART_LENGTH = 60;
const ID_HASH_LENGTH = 32;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Characters a reader of the ID would not see, or would see rearranged: C0 and C1 controls, bidi
 * marks, embeddings, overrides and isolates (U+202E shows the rest of the ID reversed), zero-width
 * characters and the BOM.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/g;

/**
 * Escapes '%' and '/' so the '/' between source and id is unambiguous, which makes the ID injective.
 * Lone surrogates are escaped too: Temporal stores IDs as UTF-8, which would turn every one of them
 * into U+FFFD and make different IDs equal. Invisible and bidi characters are escaped so the Web UI
 * shows the ID as it is. ('%' is always escaped, so "%u" cannot occur otherwise.)
 */
function encodePart(part: string): string {
  const escape = (character: string) =>
    `%u${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return part
    .replace(/%/g, '%25')
    .replace(/\//g, '%2F')
    .replace(INVISIBLE, escape)
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, escape);
}

/**
 * The SHA-256 (hex) of the pair (source, id): the event's name in an audit tag when `<source> <id>` is no
 * valid tag value (src/domain/audit-tags.ts). Its first 32 digits end the workflow ID of an event whose
 * readable ID would be too long.
 */
export function eventDigest(source: string, id: string): string {
  return sha256Hex(JSON.stringify([source, id]));
}

/** The audit tag value naming the event: `<source> <id>`, or `sha256:<eventDigest>`. */
export function eventAuditValue(source: string, id: string): string {
  return auditTagValue(source, id, eventDigest);
}

function codePointLength(text: string): number {
  return Array.from(text).length;
}

/** The first `count` code points (never half a surrogate pair). */
function firstCodePoints(text: string, count: number): string {
  return Array.from(text).slice(0, count).join('');
}

/**
 * The workflow ID of the event (source, id): the same pair always gives the same ID, different pairs
 * different IDs. Readable as `event/<source>/<id>`; when that exceeds 200 code points, both parts are
 * cut to 60 and a hash of the full pair keeps the ID unique (the extra '/' keeps it apart from any
 * readable ID, whose parts have every '/' escaped).
 */
export function eventWorkflowId(source: string, id: string): string {
  const encodedSource = encodePart(source);
  const encodedId = encodePart(id);
  const readable = `event/${encodedSource}/${encodedId}`;
  if (codePointLength(readable) <= MAX_READABLE_ID_LENGTH) return readable;
  const hash = eventDigest(source, id).slice(0, ID_HASH_LENGTH);
  const shortSource = firstCodePoints(encodedSource, SHORTENED_PART_LENGTH);
  const shortId = firstCodePoints(encodedId, SHORTENED_PART_LENGTH);
  return `event/${shortSource}…/${shortId}…/${hash}`;
}

/**
 * Fingerprint of what an event asks for, to tell a redelivery (same hash) from a conflicting reuse of
 * its (source, id) (different hash). The document is canonicalised, so reordered keys or lists, a
 * string for a one-element list, or white space do not count as a different payload.
 */
export function payloadHash(event: PolicyEvent): string {
  const comparable = {
    ...event,
    document: event.document === undefined ? undefined : normalisePolicyDocument(event.document),
  };
  return sha256Hex(canonicalJson(comparable));
}
