// Validation of one incoming CloudEvent against the contract, then the IAM rules the schema cannot
// express. Uses ajv, so it must stay out of workflow code (the starter and activities use it).

import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import schema from '../../contract/event.schema.json';
import {
  IAM_MAX_TAGS_PER_POLICY,
  isServiceTagKey,
  MAX_AUDIT_TAGS,
  maxEventTags,
  SERVICE_TAG_PREFIX,
  TAG_TEXT,
} from '../domain/audit-tags';
import { accountRejection } from '../domain/accounts';
import { validatePolicyDocument } from '../domain/document-rules';
import { DRIFT_REPAIR_SOURCE } from '../domain/drift';
import { canonicalSequence } from '../domain/ordering';
import type { EventType, PolicyDocument, PolicyEvent } from '../domain/types';

export type EventValidation =
  | { ok: true; event: PolicyEvent }
  | { ok: false; reason: string; source?: string; id?: string; policyName?: string };

export interface EventValidationOptions {
  /** Tag keys the service sets itself (its managed-by tag); events may not set them. Case-insensitive. */
  reservedTagKeys?: string[];
  /**
   * The accounts events may name (IAM_ACCOUNTS), when this entry point knows them: an event naming any
   * other is rejected here, before a workflow starts. Absent: the worker checks (src/domain/accounts.ts).
   */
  allowedAccounts?: readonly string[];
}

/** What an event's tags may not take of IAM's 50 per policy, beside the managed-by tag. */
const TAG_BUDGET =
  `IAM allows ${IAM_MAX_TAGS_PER_POLICY} tags per policy, and the service keeps its managed-by tag and ` +
  `one audit tag per version (${SERVICE_TAG_PREFIX}v1 ..., up to ${MAX_AUDIT_TAGS})`;

// strictTypes is off because the contract's if/then puts `required` under `properties` without a
// `type`, which is valid JSON Schema that ajv would otherwise log about on every start.
const ajv = new Ajv2020({ allErrors: true, strictTypes: false });
addFormats(ajv);
const validateSchema = ajv.compile(schema);

/** What the schema guarantees once it passes. */
interface SchemaValidEvent {
  id: string;
  source: string;
  type: EventType;
  time?: string;
  subject?: string;
  sequence?: number | string;
  restores?: string;
  data: {
    policyName: string;
    account?: string;
    path?: string;
    document?: PolicyDocument | string;
    description?: string;
    tags?: Record<string, string>;
    waitUntilUnused?: boolean;
    maxWaitSeconds?: number;
  };
}

/** Readable messages for the contract's `oneOf` fields: the per-branch errors ajv reports are noise. */
const ONE_OF_MESSAGES: Record<string, string> = {
  sequence: 'sequence must be a non-negative integer or a string of 1 to 19 decimal digits',
  'data.document': 'data.document must be a JSON object or a string holding one',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Appends a key the way a reader writes it: `data.policyName`, `data.tags["cost center"]`. */
function childField(field: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return field ? `${field}.${key}` : key;
  return `${field}[${JSON.stringify(key)}]`;
}

/** JSON pointer ("/data/tags/a~1b") to a field name ("data.tags["a/b"]"). */
function fieldName(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(childField, '');
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a JSON object',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
};

function describeSchemaError(error: ErrorObject): string | undefined {
  const field = fieldName(error.instancePath);
  const subject = field || 'event';
  const params = error.params as Record<string, unknown>;
  // A failing `then` repeats what its own errors say; a oneOf branch error is replaced below.
  if (error.keyword === 'if' || error.keyword === 'propertyNames' || error.schemaPath.includes('/oneOf/')) {
    return undefined;
  }
  if (error.propertyName !== undefined) {
    const inner = describeSchemaError({ ...error, propertyName: undefined });
    return inner?.replace(subject, `${subject} key ${JSON.stringify(error.propertyName)}`);
  }
  switch (error.keyword) {
    case 'oneOf':
      return ONE_OF_MESSAGES[field] ?? `${subject} does not match any of its allowed forms`;
    case 'required':
      return `missing required field ${childField(field, String(params.missingProperty))}`;
    case 'additionalProperties':
      return `unknown field ${childField(field, String(params.additionalProperty))}`;
    case 'type':
      return `${subject} must be ${TYPE_NAMES[String(params.type)] ?? String(params.type)}`;
    case 'const':
      return `${subject} must be ${JSON.stringify(params.allowedValue)}`;
    case 'enum':
      return `${subject} must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'pattern':
      return `${subject} must match ${String(params.pattern)}`;
    case 'minLength':
      return params.limit === 1
        ? `${subject} must not be empty`
        : `${subject} must be at least ${String(params.limit)} characters long`;
    case 'maxLength':
      return `${subject} must be at most ${String(params.limit)} characters long`;
    case 'maxProperties':
      return field === 'data.tags'
        ? `${subject} must have at most ${String(params.limit)} entries: ${TAG_BUDGET}`
        : `${subject} must have at most ${String(params.limit)} entries`;
    case 'minimum':
    case 'maximum':
      return `${subject} must be ${String(params.comparison)} ${String(params.limit)}`;
    case 'format':
      return params.format === 'date-time'
        ? `${subject} must be an RFC 3339 date-time with a time zone, e.g. 2026-11-28T09:00:00Z`
        : `${subject} must be a valid ${String(params.format)}`;
    default:
      return `${subject} ${error.message ?? 'is invalid'}`;
  }
}

function schemaProblems(errors: ErrorObject[]): string[] {
  const messages = errors.map(describeSchemaError).filter((m): m is string => m !== undefined);
  return [...new Set(messages)];
}

function formatCodePoint(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** IAM accepts tab, LF, CR, U+0020 to U+007E and U+00A1 to U+00FF in a description. */
function descriptionProblem(description: string): string | undefined {
  for (const character of description) {
    const c = character.codePointAt(0) ?? 0;
    const allowed =
      c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c <= 0x7e) || (c >= 0xa1 && c <= 0xff);
    if (!allowed) {
      return `data.description contains ${formatCodePoint(c)}, which IAM does not accept in a description`;
    }
  }
  return undefined;
}

function tagProblems(tags: Record<string, string>, reservedTagKeys: string[]): string[] {
  const problems: string[] = [];
  const reserved = new Set(reservedTagKeys.map((key) => key.toLowerCase()));
  const seen = new Map<string, string>();
  const alphabet = 'letters, digits, white space and _ . : / = + - @';
  for (const [key, value] of Object.entries(tags)) {
    const name = `data.tags key ${JSON.stringify(key)}`;
    const lower = key.toLowerCase();
    if (!TAG_TEXT.test(key)) problems.push(`${name} may contain only ${alphabet}`);
    if (!TAG_TEXT.test(value))
      problems.push(`data.tags[${JSON.stringify(key)}] value may contain only ${alphabet}`);
    if (lower.startsWith('aws:')) problems.push(`${name} must not start with "aws:" (reserved by AWS)`);
    if (reserved.has(lower)) problems.push(`${name} is reserved: this service sets it itself`);
    else if (isServiceTagKey(key)) {
      problems.push(
        `${name} is reserved: keys starting with "${SERVICE_TAG_PREFIX}" are the service's audit record`,
      );
    }
    // IAM tag keys are case-insensitive: two keys differing only in case would collide.
    const earlier = seen.get(lower);
    if (earlier !== undefined) {
      problems.push(
        `${name} differs from ${JSON.stringify(earlier)} only in case; IAM treats them as one key`,
      );
    }
    seen.set(lower, key);
  }
  const count = Object.keys(tags).length;
  const allowed = maxEventTags(reserved.size);
  if (count > allowed) {
    problems.push(`data.tags has ${count} tags, at most ${allowed} are allowed: ${TAG_BUDGET}`);
  }
  return problems;
}

/** The document of an upsert as an object, or the problems that keep it from being one. */
function parseDocument(document: PolicyDocument | string): { document?: PolicyDocument; problems: string[] } {
  let parsed: unknown = document;
  if (typeof document === 'string') {
    try {
      parsed = JSON.parse(document);
    } catch (error) {
      return { problems: [`data.document is a string but not valid JSON: ${(error as Error).message}`] };
    }
    if (!isObject(parsed)) return { problems: ['data.document is a string but does not hold a JSON object'] };
  }
  // Not the size: it matters only if the document is written, which the worker decides (src/domain/decide.ts).
  const problems = validatePolicyDocument(parsed, { checkSize: false });
  if (problems.length > 0) return { problems: [`invalid policy document: ${problems.join('; ')}`] };
  return { document: parsed as PolicyDocument, problems: [] };
}

function sequenceOf(raw: SchemaValidEvent): { sequence?: string; problem?: string } {
  if (raw.sequence === undefined) return {};
  try {
    return { sequence: canonicalSequence(raw.sequence) };
  } catch {
    // Only a JSON number can fail here: beyond 2^53 - 1 it was already rounded while parsing.
    return {
      problem: `sequence ${String(raw.sequence)} is too large for a JSON number; send it as a string`,
    };
  }
}

/** A delete may wait until its policy is unused, for at most maxWaitSeconds; an upsert has nothing to wait for. */
function deleteWaitProblems(type: EventType, data: SchemaValidEvent['data']): string[] {
  const problems: string[] = [];
  if (type !== 'iam.policy.delete') {
    for (const field of ['waitUntilUnused', 'maxWaitSeconds'] as const) {
      if (data[field] !== undefined) problems.push(`data.${field} is only for iam.policy.delete events`);
    }
    return problems;
  }
  if (data.maxWaitSeconds !== undefined && data.waitUntilUnused !== true) {
    problems.push('data.maxWaitSeconds needs data.waitUntilUnused: true (it bounds that wait)');
  }
  return problems;
}

/** Fields that let a rejection be reported against its event, whatever else is wrong with it. */
function identifyingFields(raw: Record<string, unknown>): {
  source?: string;
  id?: string;
  policyName?: string;
} {
  const data = isObject(raw.data) ? raw.data : {};
  const fields: { source?: string; id?: string; policyName?: string } = {};
  if (typeof raw.source === 'string') fields.source = raw.source;
  if (typeof raw.id === 'string') fields.id = raw.id;
  if (typeof data.policyName === 'string') fields.policyName = data.policyName;
  return fields;
}

/**
 * Checks one raw event (parsed JSON) against the contract and IAM's rules, and reduces it to a
 * PolicyEvent. A rejection carries every problem found, joined by "; ".
 */
export function validateEvent(raw: unknown, options: EventValidationOptions = {}): EventValidation {
  if (!isObject(raw)) return { ok: false, reason: 'event must be a JSON object' };
  const reject = (problems: string[]): EventValidation => ({
    ok: false,
    reason: problems.join('; '),
    ...identifyingFields(raw),
  });

  if (!validateSchema(raw)) return reject(schemaProblems(validateSchema.errors ?? []));
  const valid = raw as unknown as SchemaValidEvent;
  const { data } = valid;
  const problems: string[] = [];

  if (valid.subject !== undefined && valid.subject !== data.policyName) {
    problems.push(
      `subject ${JSON.stringify(valid.subject)} must equal data.policyName ${JSON.stringify(data.policyName)}`,
    );
  }
  const { sequence, problem: sequenceProblem } = sequenceOf(valid);
  if (sequenceProblem) problems.push(sequenceProblem);
  if (
    valid.restores !== undefined &&
    (valid.source !== DRIFT_REPAIR_SOURCE || valid.type !== 'iam.policy.upsert')
  ) {
    problems.push(`restores is only for the service's own drift repairs (source ${DRIFT_REPAIR_SOURCE})`);
  }

  // A delete acts on the name alone: a document it carries is ignored, not validated.
  let document: PolicyDocument | undefined;
  if (valid.type === 'iam.policy.upsert' && data.document !== undefined) {
    const parsed = parseDocument(data.document);
    problems.push(...parsed.problems);
    document = parsed.document;
  }
  if (data.description !== undefined) {
    const problem = descriptionProblem(data.description);
    if (problem) problems.push(problem);
  }
  if (data.tags !== undefined) problems.push(...tagProblems(data.tags, options.reservedTagKeys ?? []));
  problems.push(...deleteWaitProblems(valid.type, data));
  if (options.allowedAccounts !== undefined) {
    const problem = accountRejection(data.account, options.allowedAccounts);
    if (problem) problems.push(`data.account: ${problem}`);
  }
  if (problems.length > 0) return reject(problems);

  const event: PolicyEvent = {
    source: valid.source,
    id: valid.id,
    type: valid.type,
    policyName: data.policyName,
    ...(data.account !== undefined ? { account: data.account } : {}),
    path: data.path ?? '/',
  };
  if (valid.time !== undefined) event.time = valid.time;
  if (sequence !== undefined) event.sequence = sequence;
  if (document !== undefined) event.document = document;
  if (data.description !== undefined) event.description = data.description;
  if (data.tags !== undefined) event.tags = { ...data.tags };
  if (valid.restores !== undefined) event.restores = valid.restores;
  if (data.waitUntilUnused !== undefined) event.waitUntilUnused = data.waitUntilUnused;
  if (data.maxWaitSeconds !== undefined) event.maxWaitMs = data.maxWaitSeconds * 1000;
  return { ok: true, event };
}
