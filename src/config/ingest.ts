// The ingest server's own settings, from the environment, checked at start like the rest (src/config/environment.ts).
import { z } from 'zod';
import { ConfigError, parseEnvironment } from './environment';

const schema = z.object({
  INGEST_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  INGEST_HOST: z.string().min(1).default('0.0.0.0'),
  INGEST_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  INGEST_AUTH: z.enum(['on', 'off']).default('on'),
  INGEST_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  INGEST_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  INGEST_BATCH_LIMIT: z.coerce.number().int().min(1).max(10_000).default(500),
  INGEST_CONNECT_RETRY_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
});

export interface IngestConfig {
  host: string;
  port: number;
  /** The bearer token every POST must carry; undefined only with INGEST_AUTH=off. */
  token?: string;
  /** Largest request body in bytes; larger ones get 413. */
  bodyLimit: number;
  /** How long a request may wait for Temporal before it is answered 503 with Retry-After. */
  requestTimeoutMs: number;
  /** Most events in one batch; larger batches get 413. */
  batchLimit: number;
  /** How long to keep trying to reach Temporal at start (0: once). */
  connectRetryMs: number;
}

export function loadIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const e = parseEnvironment(schema, env);
  if (e.INGEST_AUTH === 'on' && e.INGEST_TOKEN === undefined) {
    throw new ConfigError(
      'INGEST_TOKEN: required (callers send "Authorization: Bearer <token>"); for local use only, INGEST_AUTH=off disables it',
    );
  }
  return {
    host: e.INGEST_HOST,
    port: e.INGEST_PORT,
    token: e.INGEST_AUTH === 'on' ? e.INGEST_TOKEN : undefined,
    bodyLimit: e.INGEST_BODY_LIMIT,
    requestTimeoutMs: e.INGEST_REQUEST_TIMEOUT_MS,
    batchLimit: e.INGEST_BATCH_LIMIT,
    connectRetryMs: e.INGEST_CONNECT_RETRY_MS,
  };
}
