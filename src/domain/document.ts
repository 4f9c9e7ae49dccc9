// IAM policy documents: decoding what IAM returns, and a canonical form for "same policy semantics".
// Pure and deterministic: imported by workflow code (no Node built-ins, no clock, no randomness).

import type { PolicyDocument } from './types';

/** Statement fields whose value may be one string or a list of strings, where the list order is irrelevant. */
const LIST_FIELDS = ['Action', 'NotAction', 'Resource', 'NotResource'] as const;
const PRINCIPAL_FIELDS = ['Principal', 'NotPrincipal'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a policy document as IAM or moto return it. Real IAM URL-encodes documents (RFC 3986) in
 * GetPolicyVersion; moto returns raw JSON. Raw JSON may itself contain '%', so it must not be decoded.
 */
export function decodePolicyDocument(raw: string): PolicyDocument {
  const trimmed = raw.trim();
  let json = trimmed;
  if (!trimmed.startsWith('{')) {
    try {
      json = decodeURIComponent(trimmed);
    } catch {
      throw new Error('policy document is neither JSON nor valid URL-encoded text');
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`policy document is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) {
    throw new Error('policy document must be a JSON object');
  }
  return parsed;
}

/**
 * JSON with object keys sorted by code unit and no white space. Written by hand rather than relying on
 * JSON.stringify's key order, which puts integer-like keys first.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    // Like JSON.stringify: undefined (and functions) inside arrays become null.
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (isPlainObject(value)) {
    const members = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Sorts values by their canonical JSON and drops duplicates (list order and repeats carry no meaning). */
function sortedUnique(values: unknown[]): unknown[] {
  const byJson = new Map<string, unknown>();
  for (const value of values) {
    const canonical = sortKeysDeep(value);
    byJson.set(canonicalJson(canonical), canonical);
  }
  return [...byJson.keys()].sort().map((key) => byJson.get(key));
}

/** A single value and a one-element list mean the same thing in IAM. */
function asSortedList(value: unknown): unknown[] {
  return sortedUnique(Array.isArray(value) ? value : [value]);
}

/** A deep copy with every object's keys sorted. */
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  return isPlainObject(value) ? mapEntries(value, (_key, v) => sortKeysDeep(v)) : value;
}

/**
 * A copy of `object` with keys sorted and each value replaced by `fn(key, value)`. Object.fromEntries
 * defines own properties, so a "__proto__" key from JSON stays data and never becomes a prototype.
 */
function mapEntries(
  object: Record<string, unknown>,
  fn: (key: string, value: unknown) => unknown,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, fn(key, object[key])]),
  );
}

/** Applies `fn` to each value of an object (keys sorted); a non-object is only key-sorted. */
function mapValues(value: unknown, fn: (v: unknown) => unknown): unknown {
  return isPlainObject(value) ? mapEntries(value, (_key, v) => fn(v)) : sortKeysDeep(value);
}

function normaliseStatement(statement: unknown): unknown {
  if (!isPlainObject(statement)) return sortKeysDeep(statement);
  return mapEntries(statement, (key, value) => {
    if ((LIST_FIELDS as readonly string[]).includes(key)) return asSortedList(value);
    if ((PRINCIPAL_FIELDS as readonly string[]).includes(key)) {
      // "*" stays a string; {"AWS": ...} maps each principal type to a sorted list.
      return isPlainObject(value) ? mapValues(value, asSortedList) : sortKeysDeep(value);
    }
    // { operator: { conditionKey: value-or-values } }
    if (key === 'Condition') return mapValues(value, (block) => mapValues(block, asSortedList));
    return sortKeysDeep(value);
  });
}

/**
 * A canonical form for semantic comparison: what IAM treats as the same policy gives the same form.
 * Key order, white space, string vs one-element list, value order in lists and statement order are
 * erased. Nothing is lower-cased: values are compared exactly.
 */
export function normalisePolicyDocument(doc: PolicyDocument): unknown {
  return mapEntries(doc, (key, value) => {
    if (key !== 'Statement' || !(Array.isArray(value) || isPlainObject(value))) return sortKeysDeep(value);
    return (Array.isArray(value) ? value : [value])
      .map(normaliseStatement)
      .map((statement) => ({ statement, json: canonicalJson(statement) }))
      .sort((a, b) => (a.json < b.json ? -1 : a.json > b.json ? 1 : 0))
      .map(({ statement }) => statement);
  });
}

/** The document's normal form as text: equal for documents that mean the same policy. */
export function normalForm(doc: PolicyDocument): string {
  return canonicalJson(normalisePolicyDocument(doc));
}

/** True when both documents mean the same policy (see normalisePolicyDocument). */
export function documentsEqual(a: PolicyDocument, b: PolicyDocument): boolean {
  return normalForm(a) === normalForm(b);
}

/** Size as IAM counts it against the 6,144 limit: characters of the JSON, white space not counted. */
export function documentSize(doc: PolicyDocument): number {
  // Count code points, not UTF-16 units, so a character outside the BMP counts once.
  return Array.from(serialiseDocument(doc).replace(/\s/g, '')).length;
}

/** The compact JSON sent to IAM (the author's key order is kept, so it reads as written). */
export function serialiseDocument(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}
