// Stops what cluster-global-setup started. The cluster's state directory (database, logs) is removed
// unless CLUSTER_TEST_KEEP_STATE is set (to read the services' logs after a failure).
import { rmSync } from 'node:fs';

export default async function clusterGlobalTeardown(): Promise<void> {
  const cluster = globalThis.__cluster;
  await Promise.allSettled([cluster?.stop(), globalThis.__clusterMoto?.stop()]);
  if (globalThis.__clusterWorkflowBundle) rmSync(globalThis.__clusterWorkflowBundle, { force: true });
  if (cluster && !process.env.CLUSTER_TEST_KEEP_STATE)
    rmSync(cluster.stateDir, { recursive: true, force: true });
  else if (cluster) process.stderr.write(`cluster tests: state kept in ${cluster.stateDir}\n`);
}
