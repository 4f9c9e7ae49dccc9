// The IAM block: which policies are the service's (the managed-by tag), the account, and the guardrails.
// The worker enforces it; the starter needs the tag to refuse events that set it, and its read-only
// commands (`policy`, `plan`) judge policies exactly as the worker would.
import { z } from 'zod';
import { DEFAULT_GUARDRAILS, type GuardrailConfig, type PolicyGuards } from '../domain/guardrails';
import { booleanVariable, ConfigError, parseEnvironment, readFileFor } from './environment';
import { GuardrailConfigError, parseGuardrailConfig } from './guardrails-file';

const managedBySchema = z.object({
  IAM_MANAGED_BY_TAG: z
    .string()
    .regex(/^[^=]+=[^=]+$/, 'must be key=value, for example managed-by=iam-policy-events')
    .default('managed-by=iam-policy-events'),
});

const iamSchema = managedBySchema.extend({
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
});

export interface ManagedByTag {
  key: string;
  value: string;
}

export interface IamConfig {
  managedByTag: ManagedByTag;
  accountId?: string;
  /** Guardrails and adoption, enforced by the worker's activities before any write. */
  guards: PolicyGuards;
}

function managedByTagOf(value: string): ManagedByTag {
  const [key, tagValue] = value.split('=') as [string, string];
  return { key, value: tagValue };
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
