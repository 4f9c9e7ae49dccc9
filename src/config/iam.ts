// The IAM block: which policies are the service's (the managed-by tag), the account, and the guardrails.
// The worker enforces it; the starter needs the tag to refuse events that set it, and its read-only
// commands (`policy`, `plan`) judge policies exactly as the worker would.
import { z } from 'zod';
import { rolePatternProblem } from '../domain/accounts';
import { DEFAULT_GUARDRAILS, type GuardrailConfig, type PolicyGuards } from '../domain/guardrails';
import {
  accountIdListVariable,
  booleanVariable,
  ConfigError,
  parseEnvironment,
  readFileFor,
} from './environment';
import { GuardrailConfigError, parseGuardrailConfig } from './guardrails-file';

export const DEFAULT_ASSUME_ROLE = 'iam-policy-events';
export const DEFAULT_ROLE_SESSION_NAME = 'iam-policy-events';

const managedBySchema = z.object({
  IAM_MANAGED_BY_TAG: z
    .string()
    .regex(/^[^=]+=[^=]+$/, 'must be key=value, for example managed-by=iam-policy-events')
    .default('managed-by=iam-policy-events'),
});

const iamSchema = managedBySchema
  .extend({
    AWS_ACCOUNT_ID: z
      .string()
      .regex(/^\d{12}$/, 'must be 12 digits')
      .optional(),
    /** JSON file of guardrail rules (src/domain/guardrails.ts); the default rules when unset. */
    IAM_GUARDRAILS_FILE: z.string().min(1).optional(),
    /** Let upserts adopt present policies without the managed-by tag. Off by default. */
    IAM_ADOPT_UNMANAGED: booleanVariable.optional(),
    /**
     * How long a policy workflow waits for IAM's eventually consistent reads to show its own last write
     * before the event fails (src/domain/read-fence.ts); 0: decide on whatever is read.
     */
    IAM_CONSISTENCY_WAIT_MS: z.coerce.number().int().min(0).max(900_000).optional(),
    /**
     * Create a new version as non-default and make it default this long after (0: at once, as default).
     * At most 20 s: the wait is inside the write step, whose attempt times out at 30 s.
     */
    IAM_VERSION_SWITCH_WAIT_MS: z.coerce.number().int().min(0).max(20_000).optional(),
  })
  .extend(accountsShape());

/** The accounts block: every entry point reads IAM_ACCOUNTS (to reject early); the worker all of it. */
function accountsShape() {
  return {
    /** The accounts events may name, comma-separated 12-digit IDs; empty: events may name none. */
    IAM_ACCOUNTS: accountIdListVariable,
    /** The role assumed in a named account: a role name, or an ARN with {account}. */
    IAM_ASSUME_ROLE: z
      .string()
      .default(DEFAULT_ASSUME_ROLE)
      .superRefine((value, context) => {
        const problem = rolePatternProblem(value);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      }),
    /** The external ID the roles require, if they do (sts:ExternalId in their trust policies). */
    IAM_EXTERNAL_ID: z
      .string()
      .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2 to 1224 characters of letters, digits and +=,.@:/-')
      .optional(),
    /** The session name the assumed roles' CloudTrail entries show. */
    IAM_ROLE_SESSION_NAME: z
      .string()
      .regex(/^[\w+=,.@-]{2,64}$/, 'must be 2 to 64 characters of letters, digits and +=,.@-')
      .default(DEFAULT_ROLE_SESSION_NAME),
    /**
     * IAM calls in flight at once per account, this worker's default account included: a burst for one
     * account waits for its own calls, not for the others'.
     */
    IAM_MAX_CONCURRENT_CALLS_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(16),
    /**
     * IAM call attempts a second per account (0: no cap). IAM's own limit is per account, shared with
     * every other caller there, unpublished and not raisable, so no default could be known to be under
     * it; this leaves a share of it to the account's other users. Calls over it wait.
     */
    IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT: z.coerce
      .number()
      .min(0)
      .max(1000)
      .refine((rate) => rate === 0 || rate >= 0.1, 'must be 0 (no cap) or from 0.1 to 1000')
      .default(0),
  };
}

export interface ManagedByTag {
  key: string;
  value: string;
}

/** How the worker reaches accounts other than its own (src/iam/account-clients.ts). */
export interface AccountsConfig {
  /** The accounts events may name (IAM_ACCOUNTS); the default account needs no entry unless named. */
  allowed: string[];
  /** Role name or ARN pattern with {account} (IAM_ASSUME_ROLE). */
  assumeRole: string;
  externalId?: string;
  roleSessionName: string;
  /** IAM calls in flight at once per account (IAM_MAX_CONCURRENT_CALLS_PER_ACCOUNT). */
  maxConcurrentCalls: number;
  /** IAM call attempts a second per account (IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT); absent: no cap. */
  maxCallsPerSecond?: number;
}

export interface IamConfig {
  managedByTag: ManagedByTag;
  /** The default account: events that name none are applied there (AWS_ACCOUNT_ID, else asked of STS). */
  accountId?: string;
  accounts: AccountsConfig;
  /** Guardrails and adoption, enforced by the worker's activities before any write. */
  guards: PolicyGuards;
}

function managedByTagOf(value: string): ManagedByTag {
  const [key, tagValue] = value.split('=') as [string, string];
  return { key, value: tagValue };
}

const allowedAccountsSchema = z.object({ IAM_ACCOUNTS: accountsShape().IAM_ACCOUNTS.optional() });

/**
 * IAM_ACCOUNTS, when set: the event sources reject an event naming another account before it starts a
 * workflow. Undefined when unset: the workers, which always know their list, decide.
 */
export function loadAllowedAccounts(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  if (env.IAM_ACCOUNTS === undefined) return undefined;
  return parseEnvironment(allowedAccountsSchema, env).IAM_ACCOUNTS;
}

/** IAM_MANAGED_BY_TAG alone: what the event sources need (events may not set that tag). */
export function loadManagedByTag(env: NodeJS.ProcessEnv = process.env): ManagedByTag {
  return managedByTagOf(parseEnvironment(managedBySchema, env).IAM_MANAGED_BY_TAG);
}

/** The whole IAM block; a guardrails file that cannot be read or parsed stops the process. */
export function loadIamConfig(env: NodeJS.ProcessEnv = process.env): IamConfig {
  const e = parseEnvironment(iamSchema, env);
  return {
    managedByTag: managedByTagOf(e.IAM_MANAGED_BY_TAG),
    accountId: e.AWS_ACCOUNT_ID,
    accounts: {
      allowed: e.IAM_ACCOUNTS,
      assumeRole: e.IAM_ASSUME_ROLE,
      ...(e.IAM_EXTERNAL_ID !== undefined ? { externalId: e.IAM_EXTERNAL_ID } : {}),
      roleSessionName: e.IAM_ROLE_SESSION_NAME,
      maxConcurrentCalls: e.IAM_MAX_CONCURRENT_CALLS_PER_ACCOUNT,
      ...(e.IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT > 0
        ? { maxCallsPerSecond: e.IAM_MAX_CALLS_PER_SECOND_PER_ACCOUNT }
        : {}),
    },
    guards: {
      guardrails: e.IAM_GUARDRAILS_FILE ? loadGuardrailsFile(e.IAM_GUARDRAILS_FILE) : DEFAULT_GUARDRAILS,
      adoptUnmanaged: e.IAM_ADOPT_UNMANAGED ?? false,
      // Absent: the policy workflow's default (DEFAULT_CONSISTENCY_WAIT_MS, 2 minutes).
      ...(e.IAM_CONSISTENCY_WAIT_MS !== undefined ? { consistencyWaitMs: e.IAM_CONSISTENCY_WAIT_MS } : {}),
      ...(e.IAM_VERSION_SWITCH_WAIT_MS ? { versionSwitchWaitMs: e.IAM_VERSION_SWITCH_WAIT_MS } : {}),
    },
  };
}

/** The guardrails in `path` (IAM_GUARDRAILS_FILE); a file that cannot be read or parsed stops the process. */
export function loadGuardrailsFile(path: string): GuardrailConfig {
  const text = readFileFor('IAM_GUARDRAILS_FILE', path).toString('utf8');
  try {
    return parseGuardrailConfig(text);
  } catch (error) {
    if (error instanceof GuardrailConfigError) {
      throw new ConfigError(`IAM_GUARDRAILS_FILE: ${path}: ${error.message}`);
    }
    throw error;
  }
}
