// The cluster project's servers: one real Temporal cluster (PostgreSQL, four server services, the Web
// UI server) in a state directory of its own, moto, and the workflows bundled once. Test files reach
// them through TEST_CLUSTER_STATE_DIR and TEST_CLUSTER_IAM_ENDPOINT (test/helpers/cluster-env.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCluster } from '../../harness/cluster';
import { startMoto, tempDir, type RunningServer } from '../../harness/servers';
import { bundleServiceWorkflows, WORKFLOW_BUNDLE_PATH } from '../../harness/workflow-bundle';

declare global {
  var __cluster: LocalCluster | undefined;
  var __clusterMoto: RunningServer | undefined;
  var __clusterWorkflowBundle: string | undefined;
}

export default async function clusterGlobalSetup(): Promise<void> {
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const cluster = await LocalCluster.open({ stateDir: tempDir('iam-cluster-'), log });
  globalThis.__cluster = cluster;
  const starting = Promise.all([startMoto(), bundleServiceWorkflows(), cluster.start()]);
  const [moto, bundle] = await starting.catch(async (error: unknown) => {
    // Jest runs no teardown after a failed setup: stop what did start.
    await cluster.stop();
    await starting.then(([started]) => started.stop()).catch(() => undefined);
    throw error;
  });
  globalThis.__clusterMoto = moto;
  process.env.TEST_CLUSTER_STATE_DIR = cluster.stateDir;
  process.env.TEST_CLUSTER_IAM_ENDPOINT = moto.address;
  const directory = join(__dirname, '..', '..', 'test-artifacts', 'workflow-bundles');
  mkdirSync(directory, { recursive: true });
  const codePath = join(directory, `workflows-${process.pid}-${Date.now()}.js`);
  writeFileSync(codePath, bundle.code);
  globalThis.__clusterWorkflowBundle = codePath;
  process.env[WORKFLOW_BUNDLE_PATH] = codePath;
  log(
    `cluster tests: cluster ${cluster.address} (state in ${cluster.stateDir}), moto ${moto.address}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
