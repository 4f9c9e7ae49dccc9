// What the cluster project's global setup started, as seen from a test file. Names of their own, so that
// a jest run that includes the integration project too (its dev server and moto) never mixes the two.
import { LocalCluster } from '../../harness/cluster';

export function clusterStateDir(): string {
  const dir = process.env.TEST_CLUSTER_STATE_DIR;
  if (!dir)
    throw new Error(
      'TEST_CLUSTER_STATE_DIR is not set: run cluster tests through jest (npm run test:cluster)',
    );
  return dir;
}

/** The running cluster: its address, and the means to kill, start and stop its processes. */
export function testCluster(): Promise<LocalCluster> {
  return LocalCluster.open({ stateDir: clusterStateDir() });
}

/** The cluster project's moto, http://127.0.0.1:port. */
export function clusterIamEndpoint(): string {
  const endpoint = process.env.TEST_CLUSTER_IAM_ENDPOINT;
  if (!endpoint)
    throw new Error(
      'TEST_CLUSTER_IAM_ENDPOINT is not set: run cluster tests through jest (npm run test:cluster)',
    );
  return endpoint;
}
