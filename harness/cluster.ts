// A real Temporal cluster on this machine, the self-hosted shape the service meets in production:
// PostgreSQL 15 (a data directory and a port of its own) for persistence and visibility, the Temporal
// server's frontend, history, matching and worker services as four processes, and the Web UI server.
// `npm run cluster -- start|stop|status` (scripts/cluster.ts) and the cluster tests (test/cluster) drive
// it through this module. Everything it starts is recorded in its state directory (pid files, configs,
// logs, the database), and stop ends only those processes.
//
// Pitfalls it avoids (../docs/deploying.md says more): membership ports go into a SMALLINT column, so
// they are kept below 32768; on a fresh database one service starts first (several at once sometimes
// fail to initialise the cluster's metadata); the history shard count is fixed once the database exists.
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { MULTI_ACCOUNT_SEARCH_ATTRIBUTES } from '../src/messages/search-attributes';
import { freePort } from './servers';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const REPO = join(__dirname, '..');

/** The server's services, in the order they start (history first: see startServices). */
export const SERVER_SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type ServerService = (typeof SERVER_SERVICES)[number];
export type ClusterProcess = 'postgres' | ServerService | 'ui';

export interface ClusterTools {
  server: string;
  sqlTool: string;
  /** postgresql/v12, holding temporal/versioned and visibility/versioned. */
  schemaDir: string;
  uiServer: string;
  /** PostgreSQL 15's bin directory (initdb, pg_ctl, postgres). */
  postgresBin: string;
}

/**
 * Where scripts/ensure-cluster-tools.sh put the binaries: from the environment it exports, else by
 * running it (it builds what is missing, which takes minutes the first time on a machine).
 */
export async function clusterTools(): Promise<ClusterTools> {
  let env: Record<string, string | undefined> = process.env;
  if (!env.TEMPORAL_SERVER || !env.TEMPORAL_SQL_TOOL || !env.TEMPORAL_UI_SERVER || !env.POSTGRES_BIN) {
    const { stdout } = await run('bash', [join(REPO, 'scripts', 'ensure-cluster-tools.sh')], {
      maxBuffer: 1 << 20,
      timeout: 60 * 60_000,
    });
    env = Object.fromEntries(
      [...stdout.matchAll(/(\w+)=((?:\\.|\S)+)/g)].map(([, key, value]) => [
        key,
        value.replace(/\\(.)/g, '$1'),
      ]),
    );
  }
  const need = (key: string) => {
    const value = env[key];
    if (!value) throw new Error(`${key} is not set: run scripts/ensure-cluster-tools.sh`);
    return value;
  };
  return {
    server: need('TEMPORAL_SERVER'),
    sqlTool: need('TEMPORAL_SQL_TOOL'),
    schemaDir: need('TEMPORAL_SCHEMA_DIR'),
    uiServer: need('TEMPORAL_UI_SERVER'),
    postgresBin: need('POSTGRES_BIN'),
  };
}

export interface ClusterPorts {
  postgres: number;
  /** The frontend's gRPC port: what clients, workers and the UI server connect to. */
  frontend: number;
  frontendHttp: number;
  grpc: Record<Exclude<ServerService, 'frontend'>, number>;
  /** Ringpop's ports, below 32768 (cluster_membership.rpc_port is a SMALLINT). */
  membership: Record<ServerService, number>;
  /** Each service's Prometheus /metrics. */
  metrics: Record<ServerService, number>;
  ui: number;
}

/** What the first start decided; later starts reuse it (cluster.json in the state directory). */
export interface ClusterSettings {
  ports: ClusterPorts;
  namespace: string;
  /** How long the namespace keeps closed workflows (and with them, deduplication by workflow ID). */
  retentionDays: number;
  /** Fixed when the database is created: Temporal cannot change it later. */
  historyShards: number;
  ui: boolean;
  /** The PostgreSQL bin directory that created the data directory (stop uses it without building anything). */
  postgresBin?: string;
}

/** What a new cluster gets unless told otherwise (docker-compose.yml says the same). */
export const CLUSTER_DEFAULTS = { namespace: 'default', retentionDays: 3, historyShards: 4 } as const;

export interface ClusterOptions {
  /** Configs, pid files, logs and the database. Created if missing. */
  stateDir: string;
  /** Preferred ports for the frontend and the UI (used when free, else any free port). */
  preferredPorts?: { frontend?: number; ui?: number };
  namespace?: string;
  retentionDays?: number;
  historyShards?: number;
  /** Run the Web UI server (default true). */
  ui?: boolean;
  /** The server's log level (default warn). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Progress, one line per step. */
  log?: (line: string) => void;
}

export interface ProcessStatus {
  name: ClusterProcess;
  pid?: number;
  /** host:port or URL it serves. */
  address: string;
}

interface Layout {
  stateDir: string;
  settingsFile: string;
  configDir: string;
  uiConfigDir: string;
  runDir: string;
  logDir: string;
  pgData: string;
  pgSocketDir: string;
}

function layoutOf(stateDir: string): Layout {
  const dir = resolve(stateDir);
  return {
    stateDir: dir,
    settingsFile: join(dir, 'cluster.json'),
    configDir: join(dir, 'config'),
    uiConfigDir: join(dir, 'ui'),
    runDir: join(dir, 'run'),
    logDir: join(dir, 'logs'),
    pgData: join(dir, 'pgdata'),
    pgSocketDir: join(dir, 'pgsocket'),
  };
}

// ---- ports ----

function portFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/** A free port below the kernel's ephemeral range, as Temporal's membership table needs. */
async function lowFreePort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (!taken.has(port) && (await portFree(port))) return port;
  }
  throw new Error('no free port between 20000 and 32000 for Temporal membership');
}

async function choosePorts(preferred: ClusterOptions['preferredPorts'] = {}): Promise<ClusterPorts> {
  const taken = new Set<number>();
  const pick = async (want?: number) => {
    let port = want !== undefined && (await portFree(want)) ? want : await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    return port;
  };
  const low = async () => {
    const port = await lowFreePort(taken);
    taken.add(port);
    return port;
  };
  return {
    postgres: await pick(),
    frontend: await pick(preferred.frontend),
    frontendHttp: await pick(),
    grpc: { history: await pick(), matching: await pick(), worker: await pick() },
    membership: { history: await low(), matching: await low(), frontend: await low(), worker: await low() },
    metrics: { history: await pick(), matching: await pick(), frontend: await pick(), worker: await pick() },
    ui: await pick(preferred.ui),
  };
}

function grpcPort(ports: ClusterPorts, service: ServerService): number {
  return service === 'frontend' ? ports.frontend : ports.grpc[service];
}

/** The port that says a service is up: its gRPC port; the worker service serves none, only membership. */
function readinessPort(ports: ClusterPorts, service: ServerService): number {
  return service === 'worker' ? ports.membership.worker : grpcPort(ports, service);
}

// ---- processes ----

/** The pid in `file` if that process still runs and its command line mentions `marker`. */
function livePid(file: string, marker: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0], 10);
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && alive(pid, marker) ? pid : undefined;
}

function alive(pid: number, marker: string): boolean {
  try {
    // A zombie (state Z) has exited; its parent has not collected it yet.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .some((arg) => arg === marker || arg.startsWith(`${marker}/`));
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid, marker)) return true;
    await sleep(100);
  }
  return !alive(pid, marker);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once('error', () => resolveOpen(false));
  });
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---- configuration files ----

/** The dynamic config every service reads (docker-compose.yml mounts the same file). */
export const DYNAMIC_CONFIG_FILE = join(REPO, 'config', 'temporal', 'dynamicconfig.yaml');

function serverConfig(settings: ClusterSettings, service: ServerService, logLevel: string): string {
  const { ports } = settings;
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "127.0.0.1:${ports.postgres}"
        connectProtocol: tcp
        user: temporal
        password: temporal
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const rpc = (name: ServerService) => `
  ${name}:
    rpc:
      grpcPort: ${grpcPort(ports, name)}
      membershipPort: ${ports.membership[name]}
      bindOnLocalHost: true${name === 'frontend' ? `\n      httpPort: ${ports.frontendHttp}` : ''}`;
  return `# Written by harness/cluster.ts for the ${service} service (one file per service: its metrics port).
log:
  stdout: true
  level: ${logLevel}
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${settings.historyShards}
  datastores:
    postgres-default:${store('temporal', 20)}
    postgres-visibility:${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:${ports.metrics[service]}"
services:${SERVER_SERVICES.map(rpc).join('')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${ports.frontend}"
      httpAddress: "127.0.0.1:${ports.frontendHttp}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "${DYNAMIC_CONFIG_FILE}"
  pollInterval: 10s
`;
}

function uiConfig(settings: ClusterSettings): string {
  return `# Written by harness/cluster.ts.
temporalGrpcAddress: "127.0.0.1:${settings.ports.frontend}"
host: 127.0.0.1
port: ${settings.ports.ui}
enableUi: true
defaultNamespace: ${settings.namespace}
notifyOnNewVersion: false
refreshInterval: 1m
cors:
  cookieInsecure: true
  allowOrigins: []
forwardHeaders: []
`;
}

// ---- the cluster ----

export class LocalCluster {
  private constructor(
    readonly settings: ClusterSettings,
    private readonly layout: Layout,
    private readonly options: ClusterOptions,
  ) {}

  private resolvedTools?: ClusterTools;

  /** Whether `stateDir` holds a cluster that was started before. */
  static exists(stateDir: string): boolean {
    return existsSync(layoutOf(stateDir).settingsFile);
  }

  /** The cluster of `stateDir`: its settings from an earlier start, else new ones (ports chosen now). */
  static async open(options: ClusterOptions): Promise<LocalCluster> {
    const layout = layoutOf(options.stateDir);
    let settings: ClusterSettings;
    if (existsSync(layout.settingsFile)) {
      settings = JSON.parse(readFileSync(layout.settingsFile, 'utf8')) as ClusterSettings;
      if (options.historyShards !== undefined && options.historyShards !== settings.historyShards) {
        throw new Error(
          `${layout.stateDir} was created with ${settings.historyShards} history shards; the count is fixed ` +
            'once the database exists (stop, delete the state directory, start again to change it)',
        );
      }
    } else {
      settings = {
        ports: await choosePorts(options.preferredPorts),
        namespace: options.namespace ?? CLUSTER_DEFAULTS.namespace,
        retentionDays: options.retentionDays ?? CLUSTER_DEFAULTS.retentionDays,
        historyShards: options.historyShards ?? CLUSTER_DEFAULTS.historyShards,
        ui: options.ui ?? true,
      };
    }
    return new LocalCluster(settings, layout, options);
  }

  get stateDir(): string {
    return this.layout.stateDir;
  }

  /** The frontend, host:port. */
  get address(): string {
    return `127.0.0.1:${this.settings.ports.frontend}`;
  }

  get namespace(): string {
    return this.settings.namespace;
  }

  get uiUrl(): string | undefined {
    return this.settings.ui ? `http://127.0.0.1:${this.settings.ports.ui}` : undefined;
  }

  logFile(name: ClusterProcess): string {
    return join(this.layout.logDir, `${name}.log`);
  }

  private get tools(): ClusterTools {
    if (!this.resolvedTools) throw new Error('cluster: tools not resolved (start first)');
    return this.resolvedTools;
  }

  private say(line: string): void {
    this.options.log?.(line);
  }

  private pidFile(name: ServerService | 'ui'): string {
    return join(this.layout.runDir, `${name}.pid`);
  }

  /** Every command line of this cluster's processes names its state directory (configs, data). */
  private get marker(): string {
    return this.layout.stateDir;
  }

  pidOf(name: ClusterProcess): number | undefined {
    if (name === 'postgres') return livePid(join(this.layout.pgData, 'postmaster.pid'), this.marker);
    return livePid(this.pidFile(name), this.marker);
  }

  status(): ProcessStatus[] {
    const { ports } = this.settings;
    const processes: ProcessStatus[] = [
      { name: 'postgres', pid: this.pidOf('postgres'), address: `127.0.0.1:${ports.postgres}` },
      ...SERVER_SERVICES.map((service) => ({
        name: service,
        pid: this.pidOf(service),
        address:
          (service === 'worker'
            ? `membership 127.0.0.1:${ports.membership.worker}`
            : `127.0.0.1:${grpcPort(ports, service)}`) +
          ` (metrics http://127.0.0.1:${ports.metrics[service]}/metrics)`,
      })),
    ];
    if (this.settings.ui) processes.push({ name: 'ui', pid: this.pidOf('ui'), address: this.uiUrl! });
    return processes;
  }

  /** Starts whatever of the cluster is not running (all of it the first time), and waits until it serves. */
  async start(): Promise<void> {
    const started = Date.now();
    this.resolvedTools ??= await clusterTools();
    this.settings.postgresBin = this.tools.postgresBin;
    this.prepareDirectories();
    const fresh = !existsSync(join(this.layout.pgData, 'PG_VERSION'));
    if (fresh) await this.initDatabase();
    if (this.pidOf('postgres') === undefined) await this.startPostgres();
    await this.applySchemas(fresh);
    await this.startServices();
    await this.registerNamespace();
    if (this.settings.ui && this.pidOf('ui') === undefined) await this.startUi();
    this.say(`cluster: up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  /** SIGTERM to everything this cluster runs (SIGKILL after `graceMs`), PostgreSQL last. */
  async stop(graceMs = 20_000): Promise<ClusterProcess[]> {
    const stopped: ClusterProcess[] = [];
    const names: (ServerService | 'ui')[] = ['ui', ...SERVER_SERVICES];
    await Promise.all(
      names.map(async (name) => {
        if (await this.signal(name, 'SIGTERM', graceMs)) stopped.push(name);
        rmSync(this.pidFile(name), { force: true });
      }),
    );
    if (this.pidOf('postgres') !== undefined) {
      await this.pgCtl(['-D', this.layout.pgData, '-m', 'fast', '-w', '-t', '60', 'stop']);
      stopped.push('postgres');
    }
    return stopped;
  }

  /** kill -9 of one server service (or the UI): no graceful shutdown. */
  async kill(name: ServerService | 'ui'): Promise<void> {
    await this.signal(name, 'SIGKILL', 10_000);
    rmSync(this.pidFile(name), { force: true });
  }

  /** Sends `signal`; SIGKILL if still there after `graceMs`. Whether a process was there. */
  private async signal(
    name: ServerService | 'ui',
    signal: NodeJS.Signals,
    graceMs: number,
  ): Promise<boolean> {
    const pid = this.pidOf(name);
    if (pid === undefined) return false;
    process.kill(pid, signal);
    if (!(await waitUntilGone(pid, this.marker, graceMs))) {
      this.say(`cluster: ${name} (pid ${pid}) still there after ${graceMs} ms: SIGKILL`);
      process.kill(pid, 'SIGKILL');
      await waitUntilGone(pid, this.marker, 10_000);
    }
    return true;
  }

  // ---- steps ----

  private prepareDirectories(): void {
    const l = this.layout;
    for (const dir of [l.stateDir, l.configDir, l.uiConfigDir, l.runDir, l.logDir]) {
      mkdirSync(dir, { recursive: true });
    }
    // PostgreSQL runs as the postgres user when we are root: it must reach its directories.
    chmodSync(l.stateDir, 0o755);
    writeFileSync(l.settingsFile, `${JSON.stringify(this.settings, null, 2)}\n`);
    const logLevel = this.options.logLevel ?? 'warn';
    for (const service of SERVER_SERVICES) {
      writeFileSync(join(l.configDir, `${service}.yaml`), serverConfig(this.settings, service, logLevel));
    }
    writeFileSync(join(l.uiConfigDir, 'cluster.yaml'), uiConfig(this.settings));
  }

  /** Runs a PostgreSQL program as the postgres user when we are root (PostgreSQL refuses root). */
  private async asPostgres(program: string, args: string[]): Promise<string> {
    const bin = this.resolvedTools?.postgresBin ?? this.settings.postgresBin ?? '/usr/lib/postgresql/15/bin';
    const path = join(bin, program);
    const [command, commandArgs] = isRoot()
      ? ['runuser', ['-u', 'postgres', '--', path, ...args]]
      : [path, args];
    try {
      const { stdout } = await run(command, commandArgs, { timeout: 120_000 });
      return stdout;
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`${program} ${args.join(' ')} failed: ${stderr ?? ''}${stdout ?? ''}`.trim());
    }
  }

  private pgCtl(args: string[]): Promise<string> {
    return this.asPostgres('pg_ctl', args);
  }

  /** Hands a path to the postgres user when we are root. */
  private givePostgres(path: string): void {
    if (!isRoot()) return;
    const { uid, gid } = postgresUser();
    chownSync(path, uid, gid);
  }

  private async initDatabase(): Promise<void> {
    const l = this.layout;
    const started = Date.now();
    rmSync(l.pgData, { recursive: true, force: true });
    mkdirSync(l.pgData, { mode: 0o700 });
    mkdirSync(l.pgSocketDir, { recursive: true });
    this.givePostgres(l.pgData);
    this.givePostgres(l.pgSocketDir);
    const passwordFile = join(l.runDir, 'pgpass');
    writeFileSync(passwordFile, 'temporal\n', { mode: 0o600 });
    this.givePostgres(passwordFile);
    try {
      await this.asPostgres('initdb', [
        '-D',
        l.pgData,
        '-U',
        'temporal',
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
      ]);
    } finally {
      rmSync(passwordFile, { force: true });
    }
    // Appended to postgresql.conf as the postgres user would: the file is theirs.
    const conf = join(l.pgData, 'postgresql.conf');
    writeFileSync(
      conf,
      `${readFileSync(conf, 'utf8')}
# harness/cluster.ts
listen_addresses = '127.0.0.1'
port = ${this.settings.ports.postgres}
unix_socket_directories = '${l.pgSocketDir}'
# Four services with up to 30 connections each, and the schema tool.
max_connections = 200
`,
    );
    this.say(`cluster: PostgreSQL data directory created in ${Date.now() - started} ms (${l.pgData})`);
  }

  private async startPostgres(): Promise<void> {
    const log = this.logFile('postgres');
    closeSync(openSync(log, 'a'));
    this.givePostgres(log);
    const started = Date.now();
    await this.pgCtl(['-D', this.layout.pgData, '-l', log, '-w', '-t', '60', 'start']);
    this.say(
      `cluster: PostgreSQL on 127.0.0.1:${this.settings.ports.postgres} in ${Date.now() - started} ms`,
    );
  }

  private async sqlTool(database: string, args: string[]): Promise<void> {
    const common = [
      '--plugin',
      'postgres12',
      '--endpoint',
      '127.0.0.1',
      '--port',
      String(this.settings.ports.postgres),
      '--user',
      'temporal',
      '--password',
      'temporal',
      '--database',
      database,
    ];
    try {
      await run(this.tools.sqlTool, [...common, ...args], { timeout: 120_000 });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(
        `temporal-sql-tool ${args.join(' ')} on ${database} failed: ${stderr ?? ''}${stdout ?? ''}`,
      );
    }
  }

  /** Creates the two databases on a fresh cluster; brings their schemas to this server's version. */
  private async applySchemas(fresh: boolean): Promise<void> {
    const started = Date.now();
    for (const [database, schema] of [
      ['temporal', 'temporal'],
      ['temporal_visibility', 'visibility'],
    ] as const) {
      if (fresh) {
        await this.sqlTool(database, ['create-database']);
        await this.sqlTool(database, ['setup-schema', '-v', '0.0']);
      }
      await this.sqlTool(database, ['update-schema', '-d', join(this.tools.schemaDir, schema, 'versioned')]);
    }
    this.say(`cluster: schemas ${fresh ? 'created' : 'checked'} in ${Date.now() - started} ms`);
  }

  private spawnLogged(name: ServerService | 'ui', program: string, args: string[]): number {
    const out = openSync(this.logFile(name), 'a');
    const child = spawn(program, args, { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    child.unref();
    if (child.pid === undefined) throw new Error(`${name}: ${program} did not start`);
    writeFileSync(this.pidFile(name), `${child.pid}\n`);
    return child.pid;
  }

  private startServer(service: ServerService): number {
    return this.spawnLogged(service, this.tools.server, [
      '--root',
      this.layout.stateDir,
      '--config',
      'config',
      '--env',
      service,
      '--allow-no-auth',
      'start',
      '--service',
      service,
    ]);
  }

  private async waitListening(name: ClusterProcess, pid: number, port: number, timeoutMs = 90_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!alive(pid, this.marker)) {
        throw new Error(
          `${name} exited before it listened on ${port}; ${this.logFile(name)}:\n${tail(this.logFile(name))}`,
        );
      }
      if (await listening(port)) return;
      await sleep(200);
    }
    throw new Error(
      `${name} did not listen on ${port} within ${timeoutMs} ms; ${this.logFile(name)}:\n${tail(this.logFile(name))}`,
    );
  }

  /**
   * The services that are not running. History alone first: each service initialises the cluster's
   * metadata in the database at start, and several doing it at once on a fresh database sometimes fail.
   */
  private async startServices(): Promise<void> {
    const started = Date.now();
    const missing = SERVER_SERVICES.filter((service) => this.pidOf(service) === undefined);
    const startOne = async (service: ServerService) => {
      const pid = this.startServer(service);
      await this.waitListening(service, pid, readinessPort(this.settings.ports, service));
    };
    const [first, ...rest] = missing;
    if (first === undefined) return;
    await startOne(first);
    await Promise.all(rest.map(startOne));
    this.say(`cluster: ${missing.join(', ')} listening in ${Date.now() - started} ms`);
  }

  private async startUi(): Promise<void> {
    const pid = this.spawnLogged('ui', this.tools.uiServer, [
      '--root',
      this.layout.stateDir,
      '--config',
      'ui',
      '--env',
      'cluster',
      'start',
    ]);
    await this.waitListening('ui', pid, this.settings.ports.ui);
    this.say(`cluster: Web UI on ${this.uiUrl}`);
  }

  /**
   * The namespace and the service's search attributes (as docs/deploying.md tells an operator), then
   * waits until the history service knows the namespace too (services refresh their namespace cache
   * every few seconds).
   */
  private async registerNamespace(): Promise<void> {
    const started = Date.now();
    const { namespace } = this.settings;
    const connection = await retry('connect to the frontend', () =>
      Connection.connect({ address: this.address }),
    );
    try {
      await retry('register the namespace', async () => {
        try {
          await connection.workflowService.registerNamespace({
            namespace,
            workflowExecutionRetentionPeriod: msToTs(`${this.settings.retentionDays} days`),
          });
        } catch (error) {
          if (grpcCode(error) !== ALREADY_EXISTS) throw error;
        }
      });
      await retry('register the search attributes', async () => {
        const listed = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = MULTI_ACCOUNT_SEARCH_ATTRIBUTES.map((key) => key.name).filter(
          (name) => !(name in listed.customAttributes),
        );
        if (missing.length === 0) return;
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
        });
        throw new Error(`search attributes ${missing.join(', ')} just added: checking again`);
      });
      await retry('the namespace is known to the history service', async () => {
        try {
          await connection.workflowService.describeWorkflowExecution({
            namespace,
            execution: { workflowId: `cluster-readiness-${Date.now()}` },
          });
        } catch (error) {
          // A workflow that does not exist is the answer of a history service that knows the namespace.
          if (grpcCode(error) === NOT_FOUND && !/namespace/i.test(String((error as Error).message))) return;
          throw error;
        }
      });
    } finally {
      await connection.close();
    }
    this.say(
      `cluster: namespace ${namespace} (retention ${this.settings.retentionDays} days) with search attributes ` +
        `${MULTI_ACCOUNT_SEARCH_ATTRIBUTES.map((key) => key.name).join(', ')} ready in ${Date.now() - started} ms`,
    );
  }
}

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const KEYWORD = 2;
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

async function retry<T>(what: string, attempt: () => Promise<T>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`cluster: could not ${what} within ${timeoutMs} ms: ${String(error)}`);
      }
      await sleep(500);
    }
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

let postgresIds: { uid: number; gid: number } | undefined;
function postgresUser(): { uid: number; gid: number } {
  if (postgresIds) return postgresIds;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry)
    throw new Error('no postgres user: install PostgreSQL 15 (Debian: apt-get install postgresql-15)');
  postgresIds = { uid: Number(entry[2]), gid: Number(entry[3]) };
  return postgresIds;
}
