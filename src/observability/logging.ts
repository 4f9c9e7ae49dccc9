// Structured JSON logs (pino) on stdout: one line per event outcome, plus the SDK's own log entries.
// Quiet by default (LOG_LEVEL=warn): outcomes are logged at info, failed events at warn.
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import pino, { type Logger } from 'pino';

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function createLogger(level: LogLevelName, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: 'iam-policy-events' } };
  return destination ? pino(options, destination) : pino(options);
}

const SDK_LEVELS: Record<LogLevelName, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  silent: 'ERROR',
};

const PINO_METHOD: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The Temporal SDK's logger, writing through pino so that every line of the worker is JSON. */
export function sdkLogger(logger: Logger, level: LogLevelName): DefaultLogger {
  const sdk = logger.child({ component: 'temporal-sdk' });
  return new DefaultLogger(SDK_LEVELS[level], (entry: LogEntry) => {
    sdk[PINO_METHOD[entry.level]]({ ...entry.meta }, entry.message);
  });
}
