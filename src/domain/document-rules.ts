// What real IAM requires of an identity-based policy document, checked before any IAM write: moto
// accepts much that IAM refuses, so tests against moto alone would not catch these. Pure: imported by
// workflow code.

import { documentSize } from './document';
import type { PolicyDocument, PolicyEvent } from './types';

/** IAM's limit for a managed policy document, in characters without white space. */
export const MAX_DOCUMENT_SIZE = 6144;

const VERSIONS = ['2012-10-17', '2008-10-17'];
const TOP_LEVEL_KEYS = ['Version', 'Id', 'Statement'];
const STATEMENT_KEYS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];
const PRINCIPAL_KEYS = ['Principal', 'NotPrincipal'];
const SID = /^[A-Za-z0-9]*$/;
/** "*" or "vendor:action"; the vendor as IAM accepts it (one colon, letters, digits, '-', '.', or '*'). */
const ACTION = /^(\*|(\*|[A-Za-z0-9.-]+):[^:]+)$/;
const MAX_CHARACTER_REPORTS = 10;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short rendering of a value for messages ("got ..."). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) ?? typeof value;
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** Appends a key to a path the way a reader writes it: `a.b` for names, `a["aws:x"]` otherwise. */
function childPath(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function checkVersion(doc: Json, problems: string[]): void {
  if (!('Version' in doc)) {
    problems.push('Version is required ("2012-10-17")');
  } else if (!VERSIONS.includes(doc.Version as string)) {
    problems.push(`Version must be "2012-10-17" or "2008-10-17", got ${describe(doc.Version)}`);
  }
}

/** Action/NotAction and Resource/NotResource: exactly one of the pair, a string or list of strings. */
function checkPair(
  statement: Json,
  path: string,
  [name, notName]: [string, string],
  valueRule: { pattern: (value: string) => boolean; expected: string },
  problems: string[],
): void {
  const present = [name, notName].filter((key) => key in statement);
  if (present.length === 0) {
    problems.push(`${path} must have ${name} or ${notName}`);
    return;
  }
  if (present.length === 2) {
    problems.push(`${path} must have only one of ${name} and ${notName}, not both`);
    return;
  }
  const key = present[0];
  const value = statement[key];
  const values = Array.isArray(value) ? value : [value];
  const shapeOk =
    values.length > 0 && values.every((item): item is string => typeof item === 'string' && item !== '');
  if (!shapeOk) {
    problems.push(`${path}.${key} must be a non-empty string or a non-empty array of non-empty strings`);
    return;
  }
  values.forEach((item, index) => {
    if (!valueRule.pattern(item)) {
      const where = Array.isArray(value) ? `${path}.${key}[${index}]` : `${path}.${key}`;
      problems.push(`${where} must be ${valueRule.expected}, got ${describe(item)}`);
    }
  });
}

const ACTION_RULE = { pattern: (value: string) => ACTION.test(value), expected: '"*" or "service:action"' };
const RESOURCE_RULE = {
  pattern: (value: string) => value === '*' || value.startsWith('arn:'),
  expected: 'an ARN ("arn:...") or "*"',
};

function isConditionValue(value: unknown): boolean {
  return ['string', 'number', 'boolean'].includes(typeof value);
}

function checkCondition(condition: unknown, path: string, problems: string[]): void {
  if (!isObject(condition)) {
    problems.push(`${path} must be an object of condition operators, got ${describe(condition)}`);
    return;
  }
  for (const [operator, block] of Object.entries(condition)) {
    const operatorPath = childPath(path, operator);
    if (!isObject(block)) {
      problems.push(`${operatorPath} must be an object of condition keys, got ${describe(block)}`);
      continue;
    }
    for (const [key, value] of Object.entries(block)) {
      const ok = Array.isArray(value) ? value.every(isConditionValue) : isConditionValue(value);
      if (!ok) {
        problems.push(
          `${childPath(operatorPath, key)} must be a string, number, boolean or an array of them, got ${describe(value)}`,
        );
      }
    }
  }
}

function checkStatement(statement: Json, path: string, problems: string[]): void {
  for (const key of Object.keys(statement)) {
    if (PRINCIPAL_KEYS.includes(key)) {
      problems.push(`${path}.${key} is not allowed: identity-based policies have no principal`);
    } else if (!STATEMENT_KEYS.includes(key)) {
      problems.push(`${path} has unknown key ${JSON.stringify(key)} (allowed: ${STATEMENT_KEYS.join(', ')})`);
    }
  }
  if (!('Effect' in statement)) {
    problems.push(`${path}.Effect is required ("Allow" or "Deny")`);
  } else if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    problems.push(`${path}.Effect must be "Allow" or "Deny", got ${describe(statement.Effect)}`);
  }
  checkPair(statement, path, ['Action', 'NotAction'], ACTION_RULE, problems);
  checkPair(statement, path, ['Resource', 'NotResource'], RESOURCE_RULE, problems);
  if ('Sid' in statement && (typeof statement.Sid !== 'string' || !SID.test(statement.Sid))) {
    problems.push(
      `${path}.Sid must be a string of letters A-Z, a-z and digits 0-9, got ${describe(statement.Sid)}`,
    );
  }
  if ('Condition' in statement) checkCondition(statement.Condition, `${path}.Condition`, problems);
}

/** Sids must be unique within a document; an empty Sid counts as none (IAM and moto agree). */
function checkSidsUnique(statements: { statement: Json; path: string }[], problems: string[]): void {
  const firstPathBySid = new Map<string, string>();
  for (const { statement, path } of statements) {
    const sid = statement.Sid;
    if (typeof sid !== 'string' || sid === '') continue;
    const first = firstPathBySid.get(sid);
    if (first === undefined) firstPathBySid.set(sid, path);
    else problems.push(`${path}.Sid ${JSON.stringify(sid)} is already used by ${first}: Sids must be unique`);
  }
}

function checkStatements(doc: Json, problems: string[]): void {
  if (!('Statement' in doc)) {
    problems.push('Statement is required');
    return;
  }
  const value = doc.Statement;
  if (!Array.isArray(value) && !isObject(value)) {
    problems.push(`Statement must be an object or a non-empty array of objects, got ${describe(value)}`);
    return;
  }
  if (Array.isArray(value) && value.length === 0) {
    problems.push('Statement must not be an empty array');
    return;
  }
  const located = Array.isArray(value)
    ? value.map((statement: unknown, index) => ({ statement, path: `Statement[${index}]` }))
    : [{ statement: value as unknown, path: 'Statement' }];
  const statements: { statement: Json; path: string }[] = [];
  for (const { statement, path } of located) {
    if (!isObject(statement)) {
      problems.push(`${path} must be an object, got ${describe(statement)}`);
      continue;
    }
    checkStatement(statement, path, problems);
    statements.push({ statement, path });
  }
  checkSidsUnique(statements, problems);
}

/** IAM accepts tab, LF, CR and U+0020 to U+00FF in a document, nothing else. */
function isAllowedCharacter(codePoint: number): boolean {
  return (
    codePoint === 0x09 || codePoint === 0x0a || codePoint === 0x0d || (codePoint >= 0x20 && codePoint <= 0xff)
  );
}

function formatCodePoint(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Distinct code points of `text` that IAM refuses, in order of appearance. */
function refusedCharacters(text: string): number[] {
  const found = new Set<number>();
  for (const character of text) {
    const codePoint = character.codePointAt(0) ?? 0;
    if (!isAllowedCharacter(codePoint)) found.add(codePoint);
  }
  return [...found];
}

/** Walks every key and string value, reporting where refused characters are. */
function checkCharacters(value: unknown, path: string, reports: string[]): void {
  if (typeof value === 'string') {
    const refused = refusedCharacters(value);
    if (refused.length > 0) {
      reports.push(`${path || 'the document'} contains ${refused.map(formatCodePoint).join(', ')}`);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => checkCharacters(item, `${path}[${index}]`, reports));
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const refused = refusedCharacters(key);
      if (refused.length > 0) {
        reports.push(
          `key ${JSON.stringify(key)} in ${path || 'the document'} contains ${refused.map(formatCodePoint).join(', ')}`,
        );
      }
      checkCharacters(item, childPath(path, key), reports);
    }
  }
}

function checkDocumentCharacters(doc: Json, problems: string[]): void {
  const reports: string[] = [];
  checkCharacters(doc, '', reports);
  const suffix = 'which IAM does not accept (allowed: tab, LF, CR, U+0020 to U+00FF)';
  for (const report of reports.slice(0, MAX_CHARACTER_REPORTS)) problems.push(`${report}, ${suffix}`);
  if (reports.length > MAX_CHARACTER_REPORTS) {
    problems.push(
      `and ${reports.length - MAX_CHARACTER_REPORTS} more values with characters IAM does not accept`,
    );
  }
}

/**
 * Problems that would make IAM refuse `doc` as a managed (identity-based) policy document, as
 * human-readable messages naming the place (`Statement[1].Effect`, statements counted from 0). Empty
 * when the document is valid.
 */
/** No real policy nests deeper (Condition blocks are 4 levels); deeper input is hostile and would exhaust the stack. */
export const MAX_DOCUMENT_DEPTH = 32;

/** Nesting depth of a JSON value, walked without recursion so hostile input cannot overflow the stack. */
function depthExceeds(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/** Why IAM would refuse the document for its size, as sent (serialised, white space not counted). */
export function documentSizeProblem(doc: PolicyDocument): string | undefined {
  const size = documentSize(doc);
  return size > MAX_DOCUMENT_SIZE
    ? `the document is ${size} characters long without white space; IAM allows at most ${MAX_DOCUMENT_SIZE}`
    : undefined;
}

/**
 * The document's problems. `checkSize: false` leaves out the size, which matters only when the document
 * is written: the same content as the policy's (in another form, e.g. one-element lists) writes nothing.
 */
export function validatePolicyDocument(doc: unknown, options: { checkSize?: boolean } = {}): string[] {
  if (!isObject(doc)) return [`the policy document must be a JSON object, got ${describe(doc)}`];
  if (depthExceeds(doc, MAX_DOCUMENT_DEPTH)) {
    return [`the policy document is nested deeper than ${MAX_DOCUMENT_DEPTH} levels`];
  }
  const problems: string[] = [];
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL_KEYS.includes(key)) {
      problems.push(`unknown top-level key ${JSON.stringify(key)} (allowed: ${TOP_LEVEL_KEYS.join(', ')})`);
    }
  }
  checkVersion(doc, problems);
  if ('Id' in doc && typeof doc.Id !== 'string')
    problems.push(`Id must be a string, got ${describe(doc.Id)}`);
  checkStatements(doc, problems);
  const sizeProblem = options.checkSize === false ? undefined : documentSizeProblem(doc);
  if (sizeProblem) problems.push(sizeProblem);
  checkDocumentCharacters(doc, problems);
  return problems;
}

/**
 * Why an upsert's document cannot be written, or undefined (also for deletes). Checked again wherever an
 * event is planned, not only when it is submitted: anything can start an event workflow.
 */
export function upsertDocumentProblem(event: Pick<PolicyEvent, 'type' | 'document'>): string | undefined {
  if (event.type !== 'iam.policy.upsert') return undefined;
  // The size is checked by decide(), only when the document is to be written.
  const problems = event.document
    ? validatePolicyDocument(event.document, { checkSize: false })
    : ['the upsert has no document'];
  return problems.length > 0 ? `invalid policy document: ${problems.join('; ')}` : undefined;
}
