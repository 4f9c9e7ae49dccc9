// The servers a benchmark run needs: a Temporal dev server and moto (started here on free ports, or
// given), the counting proxy in front of moto, and a Temporal client.
import { Client, Connection } from '@temporalio/client';
import { freePort, startMoto, startTemporal, tempDir, type RunningServer } from '../harness/servers';
import { parseActionCounter } from './actions';
import { describeCounted, openClusterServer, type ClusterServer } from './cluster-server';
import { startCountingProxy, type CountingProxy, type IamEmulation } from './counting-proxy';
import { cpuSeconds } from './proc';
import { log } from './progress';
import { join } from 'node:path';

export interface EnvironmentOptions {
  /** host:port of a running Temporal; a dev server is started when absent. */
  temporalAddress?: string;
  /** http://host:port of a running moto; one is started when absent. */
  motoAddress?: string;
  /** Dev server only: SQLite in a file (with these pragmas) instead of in memory. */
  dbFile: boolean;
  sqlitePragmas: string[];
  dynamicConfig: string[];
  iamEmulation: IamEmulation;
  /** A local cluster's state directory (`npm run cluster`): its processes count as the server's CPU. */
  temporalPidsFrom?: string;
}

export interface Environment {
  temporalAddress: string;
  motoAddress: string;
  proxy: CountingProxy;
  client: Client;
  /** Empties IAM between phases so each starts from the same state (only for a moto started here). */
  resetIam(): Promise<void>;
  /**
   * CPU seconds used so far by the servers started here (0 for given ones); with a local cluster's state
   * directory, by its Temporal services and its PostgreSQL (`postgres`).
   */
  serverCpu(): { temporal: number; moto: number; postgres?: number };
  /**
   * The dev server's `action` counter by action_type in the default namespace (it has --metrics-port),
   * or a local cluster's (its services' /metrics summed); undefined for another given Temporal.
   */
  actionCounter?: () => Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  // First: nothing is started yet if the cluster is not the one --temporal names.
  const cluster = await clusterServer(options);
  const metricsPort = options.temporalAddress ? undefined : await freePort();
  const extraArgs = [
    ...(metricsPort !== undefined ? ['--metrics-port', String(metricsPort)] : []),
    ...(options.dbFile ? ['--db-filename', join(tempDir('bench-temporal-'), 'temporal.db')] : []),
    ...options.sqlitePragmas.flatMap((pragma) => ['--sqlite-pragma', pragma]),
    ...options.dynamicConfig.flatMap((value) => ['--dynamic-config-value', value]),
  ];
  const [temporal, moto]: (RunningServer | undefined)[] = await Promise.all([
    options.temporalAddress ? undefined : startTemporal({ extraArgs }),
    options.motoAddress ? undefined : startMoto(),
  ]);
  const temporalAddress = options.temporalAddress ?? temporal!.address;
  const motoAddress = options.motoAddress ?? moto!.address;
  const proxy = await startCountingProxy(motoAddress, options.iamEmulation);
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  return {
    temporalAddress,
    motoAddress,
    proxy,
    client,
    resetIam: async () => {
      if (!moto) return;
      const response = await fetch(`${motoAddress}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    ...(metricsPort !== undefined
      ? {
          actionCounter: async () => {
            const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
            if (!response.ok) throw new Error(`the dev server's /metrics answered ${response.status}`);
            return parseActionCounter(await response.text());
          },
        }
      : cluster
        ? { actionCounter: () => cluster.actionCounter() }
        : {}),
    serverCpu: () => ({
      temporal: temporal?.process.pid ? cpuSeconds(temporal.process.pid) : 0,
      moto: moto?.process.pid ? cpuSeconds(moto.process.pid) : 0,
      ...cluster?.cpu(),
    }),
    close: async () => {
      await connection.close();
      await proxy.close();
      await Promise.all([temporal?.stop(), moto?.stop()]);
    },
  };
}

/** The local cluster --temporal points at, when told where its state is; says what it counts. */
async function clusterServer(options: EnvironmentOptions): Promise<ClusterServer | undefined> {
  if (!options.temporalAddress) {
    if (options.temporalPidsFrom) throw new Error('--temporal-pids-from needs --temporal');
    return undefined;
  }
  if (!options.temporalPidsFrom) {
    log(
      `server CPU: not counted (a given Temporal; --temporal-pids-from DIR counts a local cluster's); ` +
        'Actions from the histories only (no server counter)',
    );
    return undefined;
  }
  const cluster = await openClusterServer(options.temporalPidsFrom, options.temporalAddress);
  if (cluster.namespace !== 'default') {
    throw new Error(`the bench uses the namespace default; the cluster's is ${cluster.namespace}`);
  }
  log(`server CPU counts the cluster's ${describeCounted(cluster.processes)}; Actions from its /metrics too`);
  return cluster;
}
