// What every process's configuration is built from: environment variables checked by a zod schema at
// start, so that a mistake stops the process with a message naming its variable (exit status 2).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN } from '../domain/accounts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A yes/no variable: true, false, 1, 0, yes or no. */
export const booleanVariable = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A list of AWS accounts: 12-digit IDs separated by commas, blank parts ignored; unset or empty: none. */
export const accountIdListVariable = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  )
  .refine(
    (ids) => ids.every((id) => ACCOUNT_ID_PATTERN.test(id)),
    'must be 12-digit account IDs separated by commas',
  );

/** LOG_LEVEL, shared by the worker, ingest and consume-sqs (JSON lines on stdout). */
export const logLevelVariable = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('warn');
export type LogLevel = z.infer<typeof logLevelVariable>;

/** LOG_LEVEL alone, for the processes that read nothing else of the worker's settings. */
export function loadLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  return parseEnvironment(z.object({ LOG_LEVEL: logLevelVariable }), env).LOG_LEVEL;
}

/** The file at `path`, named by `variable`; one that cannot be read stops the process. */
export function readFileFor(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${path}: ${(error as Error).message}`);
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
