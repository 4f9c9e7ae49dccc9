// The audit record in IAM: one tag on the policy per version the service made, naming the event that made
// it. IAM versions cannot carry tags, so the key names the version (`iam-policy-events:v3`) and the value
// the event (`<source> <id>`, or `sha256:<digest>` when that is not a valid tag value). Anyone who can
// read the policy in IAM reads the record, with no access to Temporal. Pure: no Node built-ins (the digest
// is computed by the caller, src/temporal/event-identity.ts).

/**
 * Every tag key starting with this (in any case) is the service's own: set by it alone, never by events,
 * never counted as drift or compared as an event's desired tags.
 */
export const SERVICE_TAG_PREFIX = 'iam-policy-events:';

/** IAM's limit of tags on one policy. */
export const IAM_MAX_TAGS_PER_POLICY = 50;
/** IAM keeps at most this many versions of a managed policy: at most this many audit tags at once. */
export const MAX_AUDIT_TAGS = 5;
/** IAM's longest tag value, in characters. */
const MAX_TAG_VALUE_LENGTH = 256;
/** IAM's tag key and value alphabet. */
export const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const DIGEST_PREFIX = 'sha256:';
const DIGEST_VALUE = /^sha256:([0-9a-f]{64})$/;
const VERSION_ID = /^v[1-9][0-9]*$/;

/**
 * How many tags an event may set on a policy: IAM's 50, less the service's `reservedTagCount` (its
 * managed-by tag) and one audit tag for each of the 5 versions IAM keeps.
 */
export function maxEventTags(reservedTagCount: number): number {
  return IAM_MAX_TAGS_PER_POLICY - reservedTagCount - MAX_AUDIT_TAGS;
}

/** Whether `key` is one of the service's own tags (the audit record), ignoring case as IAM does. */
export function isServiceTagKey(key: string): boolean {
  return key.toLowerCase().startsWith(SERVICE_TAG_PREFIX);
}

/** The tags without the service's own. */
export function withoutServiceTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => !isServiceTagKey(key)));
}

/** The audit tag key of a version: `iam-policy-events:v3`. */
export function auditTagKey(versionId: string): string {
  return `${SERVICE_TAG_PREFIX}${versionId}`;
}

/** The version an audit tag key names, or undefined for any other key. */
export function versionOfAuditTagKey(key: string): string | undefined {
  if (!isServiceTagKey(key)) return undefined;
  const versionId = key.slice(SERVICE_TAG_PREFIX.length);
  return VERSION_ID.test(versionId) ? versionId : undefined;
}

/**
 * `<source> <id>` when that is a tag value IAM takes and reads back unambiguously: at most 256
 * characters of IAM's alphabet, no white space in the source (the first space separates the two), none at
 * either end; otherwise undefined, and the value is the event's digest (`auditTagValue`).
 */
export function readableAuditValue(source: string, id: string): string | undefined {
  const value = `${source} ${id}`;
  // UTF-16 length: never less than IAM's count of characters, so within it is within IAM's limit.
  if (value.length > MAX_TAG_VALUE_LENGTH || !TAG_TEXT.test(value)) return undefined;
  if (/\p{Z}/u.test(source) || value.trim() !== value) return undefined;
  return value;
}

/**
 * The audit tag value naming the event (source, id); `digest` is the SHA-256 (hex) of the pair,
 * `eventDigest` in src/temporal/event-identity.ts, used when the pair is no readable value.
 */
export function auditTagValue(source: string, id: string, digest: (source: string, id: string) => string) {
  return readableAuditValue(source, id) ?? `${DIGEST_PREFIX}${digest(source, id)}`;
}

/** The event an audit tag value names: its source and id, or the digest of the pair. */
export type AuditedEvent = { source: string; id: string } | { digest: string };

/** Reads an audit tag value back; undefined when it is neither form (not written by this service). */
export function parseAuditValue(value: string): AuditedEvent | undefined {
  const digest = DIGEST_VALUE.exec(value);
  if (digest) return { digest: digest[1] ?? '' };
  // A readable value always holds a space, and its source none: the first space separates them.
  const space = value.indexOf(' ');
  if (space <= 0 || space === value.length - 1) return undefined;
  return { source: value.slice(0, space), id: value.slice(space + 1) };
}

/** The audit record in a policy's tags: the event named for each version, by version ID. */
export function auditRecord(tags: Record<string, string>): Map<string, AuditedEvent> {
  const record = new Map<string, AuditedEvent>();
  for (const [key, value] of Object.entries(tags)) {
    const versionId = versionOfAuditTagKey(key);
    const event = versionId === undefined ? undefined : parseAuditValue(value);
    if (versionId !== undefined && event !== undefined) record.set(versionId, event);
  }
  return record;
}

/**
 * Audit tag keys that name no version the policy has (a version deleted outside the service, or by an
 * attempt that stopped before removing its tag): to be removed so they do not use up IAM's 50 tags.
 */
export function staleAuditTagKeys(tags: Record<string, string>, versionIds: readonly string[]): string[] {
  const present = new Set(versionIds);
  return Object.keys(tags)
    .filter((key) => {
      const versionId = versionOfAuditTagKey(key);
      return versionId !== undefined && !present.has(versionId);
    })
    .sort();
}
