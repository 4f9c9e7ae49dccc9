// Guardrails: policy documents this service refuses to write even when they are valid IAM, because a
// service that writes policies from someone else's events must not become a path to admin rights.
// Checked by the activities before any write (fail-closed: a document the rules cannot read is refused).
// Pure; configurable by a JSON file (src/config/guardrails-file.ts), with DEFAULT_GUARDRAIL_RULES otherwise.
import type { PolicyDocument } from './types';

/** Which Resource entries make an action rule apply. */
export type ResourceScope =
  /** Whatever the resource. */
  | 'any'
  /** A Resource entry that could name something one of these ARN patterns names (wildcards intersect). */
  | { reaching: string[] }
  /** A Resource entry that names everything one of these patterns names (e.g. "*" covers "arn:*:iam::*:role/*"). */
  | { covering: string[] };

export interface ActionRule {
  name: string;
  kind: 'action';
  /** Shown in the rejection: why this is refused. */
  description: string;
  /** IAM action patterns ("service:Action", "*" and "?" wildcards), compared ignoring case. */
  actions: string[];
  /**
   * `grants`: an Allow whose Action could allow any action these patterns name (so "iam:*Policy*"
   * grants "iam:CreatePolicyVersion"); `covers`: an Allow whose Action allows every action they name
   * (so "*" and "IAM:*" cover "iam:*", but "iam:Get*" does not).
   */
  match: 'grants' | 'covers';
  resources: ResourceScope;
  /**
   * Condition keys that narrow the risky action to what is safe (e.g. iam:PassedToService for
   * iam:PassRole): a statement whose Condition requires one of them to equal or match specific values
   * (StringEquals, StringEqualsIgnoreCase, StringLike, ArnEquals, ArnLike, their IfExists and
   * ForAnyValue: forms; not the Not forms, not ForAllValues:, not a value of wildcards only) does not
   * break the rule. Only keys that every request for the rule's actions carries belong here, so that
   * IfExists cannot make the condition true by the key's absence.
   */
  narrowedBy?: string[];
}

export interface StatementRule {
  name: string;
  /** `allow-not-action`: an Allow with NotAction (allows everything but a list); `principal`: a Principal. */
  kind: 'allow-not-action' | 'principal';
  description: string;
}

export type GuardrailRule = ActionRule | StatementRule;

export interface GuardrailConfig {
  rules: GuardrailRule[];
}

/** What the worker enforces besides IAM's own rules; loaded once at start. */
export interface PolicyGuards {
  guardrails: GuardrailConfig;
  /** Let an upsert take over a present policy without the managed-by tag (tag it, then proceed). */
  adoptUnmanaged: boolean;
  /**
   * How long the policy workflow waits for IAM's reads to show its own last write (IAM_CONSISTENCY_WAIT_MS,
   * src/domain/read-fence.ts); DEFAULT_CONSISTENCY_WAIT_MS when absent. With the rules because the
   * observing worker's configuration reaches the workflow this way.
   */
  consistencyWaitMs?: number;
  /**
   * IAM_VERSION_SWITCH_WAIT_MS: when above 0, a new version is created as non-default and made default
   * this long after (the Terraform provider's way around brief AccessDenied for sessions using the
   * policy); absent or 0: created as the default at once.
   */
  versionSwitchWaitMs?: number;
}

export interface GuardrailViolation {
  rule: string;
  /** Where, e.g. `Statement[1]`. */
  statement: string;
  detail: string;
}

const ALL_RESOURCES = ['*', 'arn:*:*:*:*:*'];
const ALL_ROLES = ['arn:*:iam::*:role/*'];

/** Actions that let a principal raise its own privileges (the well-known IAM escalation paths). */
export const PRIVILEGE_ESCALATION_ACTIONS = [
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:Attach*Policy',
  'iam:Put*Policy',
  'iam:Put*PermissionsBoundary',
  'iam:Delete*PermissionsBoundary',
  'iam:CreateAccessKey',
  'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile',
  'iam:AddUserToGroup',
  'iam:UpdateAssumeRolePolicy',
];

export const DEFAULT_GUARDRAIL_RULES: readonly GuardrailRule[] = [
  {
    name: 'no-full-admin',
    kind: 'action',
    description: 'allows every action on every resource',
    actions: ['*:*'],
    match: 'covers',
    resources: { covering: ALL_RESOURCES },
  },
  {
    name: 'no-iam-wildcard',
    kind: 'action',
    description: 'allows every IAM action on every resource',
    actions: ['iam:*'],
    match: 'covers',
    resources: { covering: ALL_RESOURCES },
  },
  {
    name: 'no-privilege-escalation',
    kind: 'action',
    description: 'grants an action that lets a principal raise its own privileges',
    actions: PRIVILEGE_ESCALATION_ACTIONS,
    match: 'grants',
    resources: { reaching: ['arn:*:iam::*:*'] },
  },
  {
    name: 'no-pass-any-role',
    kind: 'action',
    description: 'lets a principal pass any role to a service',
    actions: ['iam:PassRole'],
    match: 'grants',
    resources: { covering: ALL_ROLES },
    // AWS's recommended pattern: PassRole on * only to named services.
    narrowedBy: ['iam:PassedToService'],
  },
  {
    name: 'no-assume-any-role',
    kind: 'action',
    description: 'lets a principal assume any role',
    actions: ['sts:AssumeRole'],
    match: 'grants',
    resources: { covering: ALL_ROLES },
  },
  {
    name: 'no-allow-not-action',
    kind: 'allow-not-action',
    description: 'an Allow with NotAction allows every action but those listed, present and future',
  },
  {
    name: 'no-principal',
    kind: 'principal',
    description: 'identity-based policies have no Principal',
  },
];

export const DEFAULT_GUARDRAILS: GuardrailConfig = { rules: [...DEFAULT_GUARDRAIL_RULES] };

export const DEFAULT_POLICY_GUARDS: PolicyGuards = { guardrails: DEFAULT_GUARDRAILS, adoptUnmanaged: false };

// ---- wildcard patterns ----

/** A character no real action or ARN contains (IAM refuses it in documents): only a wildcard matches it. */
const ANYTHING = '\u0100';

/** Whether glob `pattern` ("*" any run, "?" one character) matches `text` exactly. */
export function globMatches(pattern: string, text: string): boolean {
  // Greedy, going back to the last "*" on a mismatch: no allocation, since it runs for every action of
  // every statement against every rule (it was the worker's hottest function of our own).
  let p = 0;
  let t = 0;
  let lastStar = -1;
  let textAtStar = 0;
  while (t < text.length) {
    if (pattern[p] === '*') {
      lastStar = p;
      textAtStar = t;
      p += 1;
    } else if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p += 1;
      t += 1;
    } else if (lastStar >= 0) {
      // Let the last "*" take one more character and try again from there.
      p = lastStar + 1;
      textAtStar += 1;
      t = textAtStar;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}

const WILDCARD = /[*?]/;

/** Whether some text matches both glob patterns. */
export function globsIntersect(a: string, b: string): boolean {
  // Most actions and resources are literal: then it is a plain match.
  if (!WILDCARD.test(a)) return globMatches(b, a);
  if (!WILDCARD.test(b)) return globMatches(a, b);
  // common[i][j]: a[i..] and b[j..] can match one text; filled from the ends.
  const common = Array.from({ length: a.length + 1 }, () => Array<boolean>(b.length + 1).fill(false));
  for (let i = a.length; i >= 0; i -= 1) {
    for (let j = b.length; j >= 0; j -= 1) {
      if (i === a.length && j === b.length) common[i][j] = true;
      else if (i < a.length && a[i] === '*')
        common[i][j] = common[i + 1][j] || (j < b.length && common[i][j + 1]);
      else if (j < b.length && b[j] === '*')
        common[i][j] = common[i][j + 1] || (i < a.length && common[i + 1][j]);
      else if (i < a.length && j < b.length && (a[i] === b[j] || a[i] === '?' || b[j] === '?'))
        common[i][j] = common[i + 1][j + 1];
    }
  }
  return common[0][0];
}

/** Whether `pattern` matches every text `general` matches: tested on `general` with its wildcards made unmatchable. */
function globCovers(pattern: string, general: string): boolean {
  return globMatches(pattern, general.replace(/[*?]/g, ANYTHING));
}

const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov']);

/** An ARN with its partition and 12-digit account made wildcards: "all roles of this account" is unscoped too. */
function widenArn(resource: string): string {
  const parts = resource.split(':');
  if (parts[0] !== 'arn' || parts.length < 2) return resource;
  if (PARTITIONS.has(parts[1])) parts[1] = '*';
  if (parts.length > 4 && /^\d{12}$/.test(parts[4])) parts[4] = '*';
  return parts.join(':');
}

/** An ARN's six fields (the last one may hold colons); undefined for anything else, such as "*". */
function arnFields(text: string): string[] | undefined {
  const parts = text.split(':');
  if (parts[0] !== 'arn' || parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** Whether two resource patterns can name one resource: field by field for ARNs ("s3" never reaches "iam"). */
function resourcesIntersect(resource: string, pattern: string): boolean {
  const fields = arnFields(resource);
  const patternFields = arnFields(pattern);
  if (!fields || !patternFields) return globsIntersect(resource, pattern);
  return fields.every((field, index) => globsIntersect(field, patternFields[index]));
}

// ---- checking ----

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string or list of strings as a list; undefined when it is anything else. */
function stringList(value: unknown): string[] | undefined {
  const values = Array.isArray(value) ? value : [value];
  return values.every((item): item is string => typeof item === 'string') ? values : undefined;
}

interface ReadStatement {
  where: string;
  allows: boolean;
  actions?: string[];
  hasNotAction: boolean;
  /** Resource entries; NotResource counts as "*" (it names everything but a list). */
  resources: string[];
  hasPrincipal: boolean;
  /** The Condition block, as written (operator → key → value or values). */
  condition?: Json;
}

function readStatements(document: PolicyDocument): ReadStatement[] | string {
  const raw = document.Statement;
  const list = Array.isArray(raw) ? raw : [raw];
  const statements: ReadStatement[] = [];
  for (const [index, statement] of list.entries()) {
    const where = Array.isArray(raw) ? `Statement[${index}]` : 'Statement';
    if (!isObject(statement)) return `${where} is not an object`;
    const actions = 'Action' in statement ? stringList(statement.Action) : [];
    const resources = 'NotResource' in statement ? ['*'] : stringList(statement.Resource ?? []);
    if (actions === undefined || resources === undefined)
      return `${where} has an Action or Resource that is not text`;
    statements.push({
      where,
      // Anything but an explicit Deny counts as Allow: fail closed.
      allows: statement.Effect !== 'Deny',
      actions,
      hasNotAction: 'NotAction' in statement,
      resources,
      hasPrincipal: 'Principal' in statement || 'NotPrincipal' in statement,
      ...(isObject(statement.Condition) ? { condition: statement.Condition } : {}),
    });
  }
  return statements;
}

function resourceInScope(resource: string, scope: ResourceScope): boolean {
  if (scope === 'any') return true;
  const lower = resource.toLowerCase();
  if ('reaching' in scope)
    return scope.reaching.some((pattern) => resourcesIntersect(lower, pattern.toLowerCase()));
  return scope.covering.some((pattern) => globCovers(widenArn(lower), pattern.toLowerCase()));
}

/** Operators whose values name what is allowed (see ActionRule.narrowedBy). */
const NARROWING_OPERATORS = new Set(
  ['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike']
    .flatMap((operator) => [operator, `${operator}IfExists`])
    .flatMap((operator) => [operator.toLowerCase(), `foranyvalue:${operator.toLowerCase()}`]),
);

/** Whether the statement's Condition requires one of `keys` to be one of specific values. */
function narrowedByCondition(statement: ReadStatement, keys: string[]): string | undefined {
  const wanted = new Set(keys.map((key) => key.toLowerCase()));
  for (const [operator, block] of Object.entries(statement.condition ?? {})) {
    if (!NARROWING_OPERATORS.has(operator.toLowerCase()) || !isObject(block)) continue;
    for (const [key, value] of Object.entries(block)) {
      if (!wanted.has(key.toLowerCase())) continue;
      const values = stringList(value);
      // A value of wildcards only (StringLike "*") matches every service: no narrowing.
      if (values && values.length > 0 && values.every((v) => !/^[*?]*$/.test(v))) return key;
    }
  }
  return undefined;
}

function checkActionRule(rule: ActionRule, statement: ReadStatement): GuardrailViolation | undefined {
  if (rule.narrowedBy && narrowedByCondition(statement, rule.narrowedBy)) return undefined;
  const resource = statement.resources.find((entry) => resourceInScope(entry, rule.resources));
  if (resource === undefined) return undefined;
  for (const action of statement.actions ?? []) {
    const lower = action.toLowerCase();
    const hit = rule.actions.find((ruleAction) =>
      rule.match === 'grants'
        ? globsIntersect(lower, ruleAction.toLowerCase())
        : globCovers(lower, ruleAction.toLowerCase()),
    );
    if (hit === undefined) continue;
    const via =
      hit.toLowerCase() === lower ? '' : ` (${rule.match === 'grants' ? 'grants' : 'covers'} ${hit})`;
    return {
      rule: rule.name,
      statement: statement.where,
      detail: `allows ${JSON.stringify(action)}${via} on ${JSON.stringify(resource)}: ${rule.description}`,
    };
  }
  return undefined;
}

function checkRule(rule: GuardrailRule, statement: ReadStatement): GuardrailViolation | undefined {
  switch (rule.kind) {
    case 'action':
      return statement.allows ? checkActionRule(rule, statement) : undefined;
    case 'allow-not-action':
      return statement.allows && statement.hasNotAction
        ? {
            rule: rule.name,
            statement: statement.where,
            detail: `uses NotAction with Allow: ${rule.description}`,
          }
        : undefined;
    case 'principal':
      return statement.hasPrincipal
        ? { rule: rule.name, statement: statement.where, detail: `names a Principal: ${rule.description}` }
        : undefined;
  }
}

/** Every rule `document` breaks, in statement order; empty when it may be written. */
export function checkGuardrails(document: PolicyDocument, config: GuardrailConfig): GuardrailViolation[] {
  const statements = readStatements(document);
  if (typeof statements === 'string') {
    return [
      { rule: 'readable-document', statement: 'Statement', detail: `cannot be checked: ${statements}` },
    ];
  }
  return statements.flatMap((statement) =>
    config.rules
      .map((rule) => checkRule(rule, statement))
      .filter((v): v is GuardrailViolation => v !== undefined),
  );
}

/** One sentence naming each broken rule, for the event's `reason`. */
export function describeViolations(violations: GuardrailViolation[]): string {
  const parts = violations.map((v) => `guardrail ${v.rule}: ${v.statement} ${v.detail}`);
  return `refused by ${violations.length === 1 ? 'a guardrail' : `${violations.length} guardrails`}: ${parts.join('; ')}`;
}

// ---- configuration file ----
