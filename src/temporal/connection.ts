// Connections to Temporal for the worker and the starter, from the same configuration.
import { Client, Connection, ServiceError } from '@temporalio/client';
import { NativeConnection, TransportError } from '@temporalio/worker';
import { ConfigError } from '../config/environment';
import type { TemporalConfig } from '../config/temporal';

function connectionOptions(config: TemporalConfig) {
  return { address: config.address, tls: config.tls, apiKey: config.apiKey };
}

/** gRPC status codes of a server that is there but cannot answer now (UNAVAILABLE, DEADLINE_EXCEEDED). */
const TRANSIENT_GRPC_CODES = new Set([14, 4]);

/**
 * Whether a client's failed connect may heal by waiting: the channel never became ready (refused,
 * unresolvable, not answering) or the server answered that it is unavailable. A refusal of the
 * credentials or the namespace does not.
 */
function clientFailureIsTransient(error: unknown): boolean {
  if (error instanceof ServiceError) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'number' && TRANSIENT_GRPC_CODES.has(code);
  }
  return error instanceof Error;
}

/**
 * A client connection. With `retry`, a server that cannot be reached is tried again with backoff (the
 * starter's --retry-for), as the worker does; without, one attempt.
 */
export async function connectClient(
  config: TemporalConfig,
  retry: ConnectRetry = { retryForMs: 0 },
): Promise<Client> {
  const connection = await connectRetrying(
    config.address,
    () => Connection.connect({ ...connectionOptions(config), connectTimeout: '10 seconds' }),
    clientFailureIsTransient,
    retry,
  );
  return new Client({ connection, namespace: config.namespace });
}

/**
 * The client of a long-running entry point (the ingest server, the SQS consumer), which may well start
 * before Temporal: as the worker does, an unreachable server is tried again with backoff for
 * `retryForMs`, each retry said on stderr naming `setting`; SIGINT or SIGTERM meanwhile ends the trying
 * (ConnectAborted).
 */
export async function connectClientAtStart(
  config: TemporalConfig,
  who: { name: string; retryForMs: number; setting: string },
): Promise<Client> {
  return untilSignalled((signal) =>
    connectClient(config, {
      retryForMs: who.retryForMs,
      signal,
      onRetry: (info) => process.stderr.write(connectRetryLine(who.name, config.address, who.setting, info)),
    }),
  );
}

/**
 * `work` with a signal that SIGINT or SIGTERM aborts while it runs: a process still trying to reach
 * Temporal at start stops on them (the handlers that stop it later are not installed yet).
 */
export async function untilSignalled<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stopTrying = new AbortController();
  const onSignal = () => stopTrying.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(stopTrying.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What a process that waits for Temporal at start says before each pause. */
export function connectRetryLine(
  name: string,
  address: string,
  setting: string,
  {
    cause,
    elapsedMs,
    pauseMs,
    retryForMs,
  }: { cause: string; elapsedMs: number; pauseMs: number; retryForMs: number },
): string {
  return (
    `${name}: cannot reach Temporal at ${address} (${cause}); trying again in ` +
    `${(pauseMs / 1000).toFixed(1)} s (tried for ${Math.round(elapsedMs / 1000)} s of up to ` +
    `${Math.round(retryForMs / 1000)} s: ${setting})\n`
  );
}

export interface ConnectRetry {
  /** How long to keep trying from the first attempt (WORKER_CONNECT_RETRY_MS, the starter's --retry-for); 0: one attempt. */
  retryForMs: number;
  /** Called before each pause: what failed, how long it has been trying, and the pause to come. */
  onRetry?(info: { cause: string; elapsedMs: number; pauseMs: number; retryForMs: number }): void;
  /** Stops the trying (SIGTERM while Temporal is away): the connect then throws ConnectAborted. */
  signal?: AbortSignal;
}

/** The worker was told to stop before it reached Temporal. */
export class ConnectAborted extends Error {
  override name = 'ConnectAborted';
}

/** `work`, unless `signal` aborts first (an attempt at a hung server takes up to 30 s). */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(new ConnectAborted('stopped before Temporal could be reached'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** Pauses between attempts: doubling from 1 s to 30 s, each ±20 % so restarted workers spread out. */
export function connectPauseMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(Math.min(30_000, 1000 * 2 ** attempt) * (0.8 + 0.4 * random()));
}

/**
 * The worker's connection. A server that cannot be reached (refused, unresolvable, or not answering:
 * the SDK's TransportError) is tried again with backoff for `retry.retryForMs`, so a worker started
 * before Temporal, or during its restart, waits for it instead of exiting.
 */
export function connectWorker(
  config: TemporalConfig,
  retry: ConnectRetry = { retryForMs: 0 },
): Promise<NativeConnection> {
  return connectRetrying(
    config.address,
    () => NativeConnection.connect(connectionOptions(config)),
    (error) => error instanceof TransportError,
    retry,
  );
}

/**
 * `connect`, tried again with backoff for `retry.retryForMs` while its failure is `transient`; any other
 * failure, and the last one, is a ConfigError (exit 2) naming the address and the cause.
 */
async function connectRetrying<C extends { close(): Promise<void> }>(
  address: string,
  connect: () => Promise<C>,
  transient: (error: unknown) => boolean,
  retry: ConnectRetry,
): Promise<C> {
  const started = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    const connecting = connect();
    try {
      return await unlessAborted(connecting, retry.signal);
    } catch (error) {
      if (error instanceof ConnectAborted) {
        // A connection that comes about after all is closed, not left holding the process open.
        void connecting.then((late) => late.close()).catch(() => undefined);
        throw error;
      }
      const cause = error instanceof Error ? error.message : String(error);
      const elapsedMs = Date.now() - started;
      const pauseMs = Math.min(connectPauseMs(attempt), retry.retryForMs - elapsedMs);
      if (!transient(error) || pauseMs <= 0) {
        const tried = attempt > 0 ? ` (${attempt + 1} attempts over ${Math.round(elapsedMs / 1000)} s)` : '';
        throw new ConfigError(`cannot reach Temporal at ${address}${tried}: ${cause}`, {
          cause: error,
        });
      }
      retry.onRetry?.({ cause, elapsedMs, pauseMs, retryForMs: retry.retryForMs });
      let timer: NodeJS.Timeout | undefined;
      await unlessAborted(
        new Promise((resolve) => (timer = setTimeout(resolve, pauseMs))),
        retry.signal,
      ).finally(() => clearTimeout(timer));
    }
  }
}
