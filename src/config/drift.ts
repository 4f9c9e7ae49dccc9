// The drift check's configuration: how often the worker's schedule runs it, whether it repairs, and which
// IAM path it covers. The worker reads all of it (it keeps the schedule); `starter drift` the path prefix.
import { z } from 'zod';
import { booleanVariable, ConfigError, parseEnvironment } from './environment';

/** Once an hour by default: 2 IAM reads per managed policy each time (docs/operating.md). */
export const DEFAULT_DRIFT_INTERVAL_MS = 3_600_000;
const MIN_INTERVAL_MS = 60_000;
const MAX_INTERVAL_MS = 30 * 86_400_000;

const driftSchema = z.object({
  /** Milliseconds between drift checks; 0: no schedule (the worker removes its task queue's schedule). */
  DRIFT_CHECK_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_INTERVAL_MS)
    .default(DEFAULT_DRIFT_INTERVAL_MS),
  /** The scheduled check repairs what it can by submitting repair events. Off by default. */
  DRIFT_REPAIR: booleanVariable.optional(),
  /** Only policies under this IAM path are checked (ListPolicies' PathPrefix). */
  DRIFT_PATH_PREFIX: z
    .string()
    .max(512)
    .regex(/^(\/|\/[\x21-\x7E]+\/)$/, 'must be an IAM path: / or /a/b/')
    .default('/'),
});

export interface DriftConfig {
  /** 0: no scheduled check. */
  intervalMs: number;
  repair: boolean;
  pathPrefix: string;
}

export function loadDriftConfig(env: NodeJS.ProcessEnv = process.env): DriftConfig {
  const e = parseEnvironment(driftSchema, env);
  if (e.DRIFT_CHECK_INTERVAL_MS > 0 && e.DRIFT_CHECK_INTERVAL_MS < MIN_INTERVAL_MS) {
    throw new ConfigError(
      `invalid configuration: DRIFT_CHECK_INTERVAL_MS: must be 0 (off) or at least ${MIN_INTERVAL_MS} (a minute)`,
    );
  }
  return {
    intervalMs: e.DRIFT_CHECK_INTERVAL_MS,
    repair: e.DRIFT_REPAIR ?? false,
    pathPrefix: e.DRIFT_PATH_PREFIX,
  };
}
