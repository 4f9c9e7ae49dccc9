// Configuration from environment variables, checked once at start so a mistake names its variable.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_COALESCE_WINDOW, type CoalesceWindow } from '../domain/coalescing';
import { DEFAULT_GUARDRAILS, type GuardrailConfig, type PolicyGuards } from '../domain/guardrails';
import { GuardrailConfigError, parseGuardrailConfig } from './guardrails-file';

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const environmentSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, for example localhost:7233')
    .default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('iam-policy-events'),
  TEMPORAL_TLS: boolean.optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_SEARCH_ATTRIBUTES: z.enum(['on', 'off']).default('on'),
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  IAM_MANAGED_BY_TAG: z
    .string()
    .regex(/^[^=]+=[^=]+$/, 'must be key=value, for example managed-by=iam-policy-events')
    .default('managed-by=iam-policy-events'),
  AWS_ACCOUNT_ID: z
    .string()
    .regex(/^\d{12}$/, 'must be 12 digits')
    .optional(),
  /** JSON file of guardrail rules (src/domain/guardrails.ts); the default rules when unset. */
  IAM_GUARDRAILS_FILE: z.string().min(1).optional(),
  /** Let upserts adopt present policies without the managed-by tag. Off by default. */
  IAM_ADOPT_UNMANAGED: boolean.optional(),
  /**
   * Policy workflows continue-as-new once their history has this many events. A worker's memory per
   * cached policy workflow grows with its history, and the server suggests continue-as-new only at
   * thousands of events: without this the worker's memory kept growing; at 100 it stayed within 20 % of
   * its size after 1,000 events in session 3's runs, at 300 it did not (BENCHMARKS.md §6).
   */
  POLICY_HISTORY_LIMIT: z.coerce.number().int().min(100).max(50_000).default(100),
  /**
   * How long an event workflow waits for its result as the answer of the update that delivers it, before
   * it delivers by signal instead. 0: always by signal (a server without update-with-start). At most 8 s:
   * longer would make the event workflow's task heartbeat (it times out at 10 s).
   */
  EVENT_RESULT_WAIT_MS: z.coerce.number().int().min(0).max(8_000).default(5_000),
  /**
   * When two or more events for one policy wait, its workflow applies the newest once none has arrived
   * for this long (0: at once, no gathering), so a burst spread over time costs one write.
   */
  POLICY_COALESCE_QUIET_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(DEFAULT_COALESCE_WINDOW.quietMs),
  /** The longest a policy workflow gathers a burst, however events keep coming (0: no gathering). */
  POLICY_COALESCE_MAX_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_COALESCE_WINDOW.maxMs),
  /**
   * Workflows the worker keeps in its cache; by default what fits the heap limit (src/worker-cache.ts).
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).max(1_000_000).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('warn'),
});

export interface TlsConfig {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** `true` for TLS with system roots; an object for mTLS or a private CA; absent for plaintext. */
  tls?: true | TlsConfig;
  apiKey?: string;
  /** Set PolicyName, EventType, EventSource and Outcome on workflows (the namespace must know them). */
  searchAttributes: boolean;
}

export interface ServiceConfig {
  temporal: TemporalConfig;
  managedByTag: { key: string; value: string };
  accountId?: string;
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  /** Guardrails and adoption, enforced by the worker's activities before any write. */
  guards: PolicyGuards;
  /** Where the worker serves Prometheus metrics; absent: no metrics endpoint. */
  metrics?: { host: string; port: number };
  /** History length at which policy workflows continue-as-new (sent with every delivery, so running ones take it up). */
  policyHistoryLimit: number;
  /** EVENT_RESULT_WAIT_MS: how long a delivery waits for its result by update (0: by signal only). */
  resultWaitMs: number;
  /** POLICY_COALESCE_QUIET_MS and POLICY_COALESCE_MAX_MS: how policy workflows gather bursts. */
  coalesce: CoalesceWindow;
  /** WORKER_MAX_CACHED_WORKFLOWS; absent: sized from the heap limit (src/worker-cache.ts). */
  maxCachedWorkflows?: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function readFileFor(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${path}: ${(error as Error).message}`);
  }
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

/**
 * The variables `schema` names, checked by it; an empty variable counts as unset (so its default applies).
 * Throws ConfigError naming every bad variable.
 */
export function parseEnvironment<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  env: NodeJS.ProcessEnv,
): z.infer<z.ZodObject<Shape>> {
  const relevant = Object.fromEntries(
    Object.keys(schema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Reads and checks the configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const e = parseEnvironment(environmentSchema, env);
  const gathers = e.POLICY_COALESCE_QUIET_MS > 0 && e.POLICY_COALESCE_MAX_MS > 0;
  if (gathers && e.EVENT_RESULT_WAIT_MS > 0 && e.POLICY_COALESCE_MAX_MS >= e.EVENT_RESULT_WAIT_MS) {
    // The newest event of every gathered burst would outwait its sender and go again by signal.
    throw new ConfigError(
      `POLICY_COALESCE_MAX_MS (${e.POLICY_COALESCE_MAX_MS}) must be below EVENT_RESULT_WAIT_MS ` +
        `(${e.EVENT_RESULT_WAIT_MS}): an event waits for its result by update only that long`,
    );
  }
  if ((e.TEMPORAL_TLS_CERT_PATH === undefined) !== (e.TEMPORAL_TLS_KEY_PATH === undefined)) {
    throw new ConfigError('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together (mTLS)');
  }

  let tls: TemporalConfig['tls'];
  const wantsCustomTls =
    e.TEMPORAL_TLS_CERT_PATH !== undefined ||
    e.TEMPORAL_TLS_CA_PATH !== undefined ||
    e.TEMPORAL_TLS_SERVER_NAME !== undefined;
  if (e.TEMPORAL_TLS === false && wantsCustomTls) {
    throw new ConfigError('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* paths that are set');
  }
  if (wantsCustomTls) {
    tls = {
      serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME,
      serverRootCACertificate: e.TEMPORAL_TLS_CA_PATH
        ? readFileFor('TEMPORAL_TLS_CA_PATH', e.TEMPORAL_TLS_CA_PATH)
        : undefined,
      clientCertPair:
        e.TEMPORAL_TLS_CERT_PATH && e.TEMPORAL_TLS_KEY_PATH
          ? {
              crt: readFileFor('TEMPORAL_TLS_CERT_PATH', e.TEMPORAL_TLS_CERT_PATH),
              key: readFileFor('TEMPORAL_TLS_KEY_PATH', e.TEMPORAL_TLS_KEY_PATH),
            }
          : undefined,
    };
  } else if (e.TEMPORAL_TLS === true || (e.TEMPORAL_TLS === undefined && e.TEMPORAL_API_KEY)) {
    // Temporal Cloud with an API key always uses TLS.
    tls = true;
  }

  const [tagKey, tagValue] = e.IAM_MANAGED_BY_TAG.split('=') as [string, string];
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      tls,
      apiKey: e.TEMPORAL_API_KEY,
      searchAttributes: e.TEMPORAL_SEARCH_ATTRIBUTES === 'on',
    },
    managedByTag: { key: tagKey, value: tagValue },
    accountId: e.AWS_ACCOUNT_ID,
    logLevel: e.LOG_LEVEL,
    guards: {
      guardrails: e.IAM_GUARDRAILS_FILE ? loadGuardrailsFile(e.IAM_GUARDRAILS_FILE) : DEFAULT_GUARDRAILS,
      adoptUnmanaged: e.IAM_ADOPT_UNMANAGED ?? false,
    },
    ...(e.METRICS_PORT !== undefined ? { metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT } } : {}),
    policyHistoryLimit: e.POLICY_HISTORY_LIMIT,
    resultWaitMs: e.EVENT_RESULT_WAIT_MS,
    coalesce: { quietMs: e.POLICY_COALESCE_QUIET_MS, maxMs: e.POLICY_COALESCE_MAX_MS },
    ...(e.WORKER_MAX_CACHED_WORKFLOWS !== undefined
      ? { maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS }
      : {}),
  };
}
