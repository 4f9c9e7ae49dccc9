// Starts the real parts the tests need, on free loopback ports: the Temporal dev server and moto.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningServer {
  /** host:port for Temporal, http://127.0.0.1:port for moto. */
  address: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The kernel's range of ports for outgoing connections (Linux; the usual one elsewhere). */
function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const start = Number(low);
    return Number.isInteger(start) && start > FIRST_PORT + 1000 ? start : 32768;
  } catch {
    return 32768;
  }
}

/** Below this, ports are left to well-known services. */
const FIRST_PORT = 10000;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port nothing listens on, below the kernel's range for outgoing connections: a test that
 * names the port a few seconds before a server takes it (a worker started before its Temporal) must not
 * see an outgoing connection's local end take it in the meantime, which the kernel's own choice of a
 * free port (in that range) allows.
 */
export async function freePort(): Promise<number> {
  const end = ephemeralRangeStart();
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = FIRST_PORT + Math.floor(Math.random() * (end - FIRST_PORT));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free loopback port between ${FIRST_PORT} and ${end}`);
}

async function waitForPort(
  port: number,
  child: ChildProcess,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with code ${child.exitCode} before it listened`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on port ${port} within ${timeoutMs} ms`);
}

/** SIGTERM, and SIGKILL if the process is still there after `killAfterMs`; resolves once it has exited. */
export function terminate(child: ChildProcess, killAfterMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () => terminate(child, 5000);
}

/** The Temporal CLI: $TEMPORAL_CLI, else the cache that scripts/ensure-tools.sh fills, else `temporal` on PATH. */
export function temporalCliPath(): string {
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  const cacheRoot =
    process.env.IAM_POLICY_EVENTS_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'iam-policy-events');
  const cached = join(cacheRoot, 'bin', 'temporal');
  return existsSync(cached) ? cached : 'temporal';
}

/** moto_server: $MOTO_SERVER, else the venv that scripts/ensure-tools.sh may create, else PATH. */
export function motoServerPath(): string {
  if (process.env.MOTO_SERVER) return process.env.MOTO_SERVER;
  const cacheRoot =
    process.env.IAM_POLICY_EVENTS_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'iam-policy-events');
  const venv = join(cacheRoot, 'venv', 'bin', 'moto_server');
  return existsSync(venv) ? venv : 'moto_server';
}

export interface TemporalOptions {
  /** SQLite file; in memory when absent. */
  dbFilename?: string;
  port?: number;
  extraArgs?: string[];
  /** Search attributes registered at start (KEY=Type); the service's own by default, [] for none. */
  searchAttributes?: string[];
  /** Serve the Web UI on this port (the server is headless otherwise). */
  uiPort?: number;
}

/**
 * Dynamic config every dev server here starts with, as in config/temporal/dynamicconfig.yaml for the
 * cluster: eager activity execution (the IAM write comes back with the workflow task that schedules it).
 */
export const DEV_SERVER_DYNAMIC_CONFIG_ARGS = [
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
];

/** The service's search attributes, as `temporal server start-dev --search-attribute` takes them. */
export const SERVICE_SEARCH_ATTRIBUTE_ARGS = [
  'PolicyName=Keyword',
  'EventType=Keyword',
  'EventSource=Keyword',
  'Outcome=Keyword',
  'Account=Keyword',
];

export async function startTemporal(options: TemporalOptions = {}): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    ...(options.uiPort !== undefined ? ['--ui-port', String(options.uiPort)] : ['--headless']),
    '--log-level',
    'error',
    ...(options.searchAttributes ?? SERVICE_SEARCH_ATTRIBUTE_ARGS).flatMap((pair) => [
      '--search-attribute',
      pair,
    ]),
    ...(options.dbFilename ? ['--db-filename', options.dbFilename] : []),
    ...DEV_SERVER_DYNAMIC_CONFIG_ARGS,
    // Later values win: a caller may set the same keys otherwise.
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, child, 'temporal server start-dev', 60000);
  return { address: `127.0.0.1:${port}`, port, process: child, stop: stopper(child) };
}

export async function startMoto(port?: number): Promise<RunningServer> {
  const chosen = port ?? (await freePort());
  const child = spawn(motoServerPath(), ['-H', '127.0.0.1', '-p', String(chosen)], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  await waitForPort(chosen, child, 'moto_server', 30000);
  return { address: `http://127.0.0.1:${chosen}`, port: chosen, process: child, stop: stopper(child) };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
