// `npm run cluster -- start|stop|status`: a real Temporal cluster on this machine (harness/cluster.ts),
// run through scripts/cluster.sh, which installs what is missing first.
import { join } from 'node:path';
import { LocalCluster, type ClusterOptions } from '../harness/cluster';

const USAGE = `usage: npm run cluster -- start|stop|status [options]

  start    PostgreSQL 15, Temporal Server's frontend, history, matching and worker services, the Web UI
           server; registers the namespace and the service's four search attributes. Starts only what is
           not running; the first start creates the database and chooses the ports.
  stop     stops what start started (and nothing else), PostgreSQL last; the data stays
  status   what runs, with its address

options (the first start only; later starts keep what the first chose):
  --port N            the frontend's port (default 7233 when free, else any free port)
  --ui-port N         the Web UI's port (default 8233 when free, else any free port)
  --namespace NS      default: default
  --retention-days N  how long closed workflows are kept, and with them deduplication (default 3)
  --shards N          history shards (default 4; fixed once the database exists)
  --no-ui             no Web UI server

Its state (database, configs, logs, pid files) is in CLUSTER_STATE_DIR, default .local/cluster; delete
that directory after a stop to start over.`;

function parse(argv: string[]): { command: string; options: Omit<ClusterOptions, 'stateDir' | 'log'> } {
  const [command, ...rest] = argv;
  const options: Omit<ClusterOptions, 'stateDir' | 'log'> = {};
  const preferred: { frontend?: number; ui?: number } = {};
  const number = (flag: string, value: string | undefined) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0) usage(`${flag} needs a positive whole number`);
    return parsed;
  };
  for (let i = 0; i < rest.length; i += 1) {
    const flag = rest[i];
    if (flag === '--port') preferred.frontend = number(flag, rest[++i]);
    else if (flag === '--ui-port') preferred.ui = number(flag, rest[++i]);
    else if (flag === '--retention-days') options.retentionDays = number(flag, rest[++i]);
    else if (flag === '--shards') options.historyShards = number(flag, rest[++i]);
    else if (flag === '--namespace') options.namespace = rest[++i] ?? usage('--namespace needs a name');
    else if (flag === '--no-ui') options.ui = false;
    else usage(`unknown option ${flag}`);
  }
  options.preferredPorts = { frontend: preferred.frontend ?? 7233, ui: preferred.ui ?? 8233 };
  return { command: command ?? '', options };
}

function usage(problem?: string): never {
  if (problem) console.error(`cluster: ${problem}`);
  console.error(USAGE);
  process.exit(problem ? 2 : 0);
}

function printStatus(cluster: LocalCluster): boolean {
  let allUp = true;
  for (const { name, pid, address } of cluster.status()) {
    allUp &&= pid !== undefined;
    console.log(`${name.padEnd(9)} ${pid === undefined ? 'stopped' : `pid ${pid}`.padEnd(10)} ${address}`);
  }
  console.log(
    `namespace ${cluster.namespace}; state in ${cluster.stateDir} (logs in ${cluster.stateDir}/logs)`,
  );
  return allUp;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('-h') || argv.includes('--help')) usage();
  const { command, options } = parse(argv);
  if (!['start', 'stop', 'status'].includes(command))
    usage(command ? `unknown command ${command}` : undefined);
  const stateDir = process.env.CLUSTER_STATE_DIR ?? join(__dirname, '..', '.local', 'cluster');
  if (command !== 'start' && !LocalCluster.exists(stateDir)) {
    console.error(`cluster: no cluster in ${stateDir} (npm run cluster -- start creates one)`);
    return command === 'status' ? 3 : 0;
  }
  const cluster = await LocalCluster.open({ ...options, stateDir, log: (line) => console.error(line) });
  if (command === 'status') return printStatus(cluster) ? 0 : 3;
  if (command === 'stop') {
    const stopped = await cluster.stop();
    console.error(
      `cluster: stopped ${stopped.length > 0 ? stopped.join(', ') : 'nothing (nothing was running)'}`,
    );
    return 0;
  }
  try {
    await cluster.start();
  } catch (error) {
    printStatus(cluster);
    console.error('cluster: what did start keeps running: npm run cluster -- stop');
    throw error;
  }
  printStatus(cluster);
  console.log(`
Point the service at it (AWS credentials, or AWS_ENDPOINT_URL for moto, as for npm run worker):
  TEMPORAL_ADDRESS=${cluster.address} TEMPORAL_NAMESPACE=${cluster.namespace} npm run worker
  TEMPORAL_ADDRESS=${cluster.address} TEMPORAL_NAMESPACE=${cluster.namespace} npm run starter -- submit FILE --wait${
    cluster.uiUrl ? `\nWeb UI: ${cluster.uiUrl}` : ''
  }
Stop it with: npm run cluster -- stop`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`cluster: ERROR: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
