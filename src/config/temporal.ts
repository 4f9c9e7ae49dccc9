// The Temporal block: where the server is and how to reach it. Every process reads it the same way (the
// worker, the starter, ingest, consume-sqs), so they all meet on one namespace and task queue.
import { z } from 'zod';
import {
  accountIdListVariable,
  booleanVariable,
  ConfigError,
  parseEnvironment,
  readFileFor,
} from './environment';

const temporalSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, for example localhost:7233')
    .default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('iam-policy-events'),
  /**
   * Accounts whose events and policy workflows run on a task queue of their own, `<TEMPORAL_TASK_QUEUE>@<id>`,
   * so that a backlog in one is never dispatched in front of another's work. Every process that starts
   * or runs workflows must read the same list, as it reads the same task queue.
   */
  TEMPORAL_ACCOUNT_TASK_QUEUES: accountIdListVariable.refine(
    (ids) => new Set(ids).size === ids.length,
    'names an account twice',
  ),
  TEMPORAL_TLS: booleanVariable.optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_SEARCH_ATTRIBUTES: z.enum(['on', 'off']).default('on'),
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
  /** TEMPORAL_ACCOUNT_TASK_QUEUES: the accounts with a task queue of their own (src/domain/task-queues.ts). */
  accountTaskQueues: string[];
  /** `true` for TLS with system roots; an object for mTLS or a private CA; absent for plaintext. */
  tls?: true | TlsConfig;
  apiKey?: string;
  /** Set PolicyName, EventType, EventSource and Outcome on workflows (the namespace must know them). */
  searchAttributes: boolean;
}

/** Reads and checks the Temporal block; throws ConfigError naming the bad variable. */
export function loadTemporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const e = parseEnvironment(temporalSchema, env);
  if ((e.TEMPORAL_TLS_CERT_PATH === undefined) !== (e.TEMPORAL_TLS_KEY_PATH === undefined)) {
    throw new ConfigError('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together (mTLS)');
  }

  if (e.TEMPORAL_ACCOUNT_TASK_QUEUES.length > 0 && e.TEMPORAL_TASK_QUEUE.includes('@')) {
    throw new ConfigError(
      `TEMPORAL_TASK_QUEUE (${e.TEMPORAL_TASK_QUEUE}) must not contain '@' with TEMPORAL_ACCOUNT_TASK_QUEUES set: ` +
        `an account's own task queue is the base name, '@', the account ID`,
    );
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

  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    accountTaskQueues: e.TEMPORAL_ACCOUNT_TASK_QUEUES,
    tls,
    apiKey: e.TEMPORAL_API_KEY,
    searchAttributes: e.TEMPORAL_SEARCH_ATTRIBUTES === 'on',
  };
}
