// The server side of a local cluster (`npm run cluster`) that --temporal points at, found by what its
// state directory records (harness/cluster.ts: pid files, postmaster.pid, cluster.json): the CPU of its
// four Temporal services and of PostgreSQL, and the `action` counter from the services' /metrics.
import { LocalCluster, SERVER_SERVICES, type ProcessStatus } from '../harness/cluster';
import { parseActionCounter } from './actions';
import { processTree, reapedChildrenCpuSeconds, totalCpuSeconds } from './proc';

export interface CountedProcess {
  name: 'postgres' | (typeof SERVER_SERVICES)[number];
  pid: number;
}

/**
 * The processes whose CPU is the server's: PostgreSQL and the four services (the Web UI server is no
 * part of serving events). Throws when one is not running: a partial count would look like a cheap server.
 */
export function countedProcesses(status: readonly ProcessStatus[]): CountedProcess[] {
  const wanted = ['postgres', ...SERVER_SERVICES] as const;
  return wanted.map((name) => {
    const pid = status.find((s) => s.name === name)?.pid;
    if (pid === undefined) throw new Error(`the cluster's ${name} is not running (npm run cluster -- start)`);
    return { name, pid };
  });
}

/** The port of host:port (or of a bare port). */
function portOf(address: string): string {
  return address.slice(address.lastIndexOf(':') + 1);
}

/** Whether --temporal names this cluster's frontend (same port on this machine). */
export function sameFrontend(clusterAddress: string, temporalAddress: string): boolean {
  const host = temporalAddress.includes(':')
    ? temporalAddress.slice(0, temporalAddress.lastIndexOf(':'))
    : '';
  return (
    portOf(clusterAddress) === portOf(temporalAddress) &&
    ['127.0.0.1', 'localhost', '[::1]', ''].includes(host)
  );
}

export interface ClusterServer {
  processes: CountedProcess[];
  namespace: string;
  /** CPU seconds so far: the four services, and PostgreSQL (postmaster, backends, and backends gone). */
  cpu(): { temporal: number; postgres: number };
  /** The `action` counter summed over the four services' /metrics. */
  actionCounter(): Promise<Record<string, number>>;
}

export async function openClusterServer(stateDir: string, temporalAddress: string): Promise<ClusterServer> {
  if (!LocalCluster.exists(stateDir)) throw new Error(`--temporal-pids-from: no cluster in ${stateDir}`);
  const cluster = await LocalCluster.open({ stateDir });
  if (!sameFrontend(cluster.address, temporalAddress)) {
    throw new Error(
      `--temporal ${temporalAddress} is not the frontend of the cluster in ${stateDir} (${cluster.address})`,
    );
  }
  const processes = countedProcesses(cluster.status());
  const services = processes.filter((p) => p.name !== 'postgres').map((p) => p.pid);
  const postmaster = processes.find((p) => p.name === 'postgres')!.pid;
  const metricsPorts = SERVER_SERVICES.map((service) => cluster.settings.ports.metrics[service]);
  return {
    processes,
    namespace: cluster.namespace,
    cpu: () => ({
      temporal: totalCpuSeconds(services),
      // Backends come and go with the services' connections: those that exited count through the
      // postmaster's reaped-children time.
      postgres: totalCpuSeconds(processTree(postmaster)) + reapedChildrenCpuSeconds(postmaster),
    }),
    actionCounter: async () => {
      const counts: Record<string, number> = {};
      for (const port of metricsPorts) {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`);
        if (!response.ok) throw new Error(`the cluster's /metrics on ${port} answered ${response.status}`);
        for (const [type, n] of Object.entries(parseActionCounter(await response.text()))) {
          counts[type] = (counts[type] ?? 0) + n;
        }
      }
      return counts;
    },
  };
}

/** One line naming what the server CPU counts. */
export function describeCounted(processes: readonly CountedProcess[]): string {
  return processes
    .map((p) => `${p.name} ${p.pid}${p.name === 'postgres' ? ' (and its backends)' : ''}`)
    .join(', ');
}
