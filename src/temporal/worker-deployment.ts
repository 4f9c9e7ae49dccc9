// Worker Versioning (docs/deploying.md): the worker's version in its Worker Deployment, and making that
// version the deployment's current one, where the workflows that start from then on run.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { WorkflowService } from '@temporalio/client';
import { version as packageVersion } from '../../package.json';
import type { DeploymentPromotion } from '../config/worker';

export interface DeploymentVersion {
  deploymentName: string;
  buildId: string;
}

/**
 * The default build ID: the package version and a digest of the workflow bundle. Only workflow code
 * decides which build a pinned workflow may run on, so a change to it (the SDK's included) makes a new
 * build by itself, and a change elsewhere (activities, configuration) keeps the build.
 */
export function buildIdOf(workflowCode: string, version: string = packageVersion): string {
  return `${version}-${createHash('sha256').update(workflowCode).digest('hex').slice(0, 12)}`;
}

/** What the deployment says after promoteVersion. */
export interface Promotion {
  /** Whether this worker made its version current. */
  promoted: boolean;
  /** The current version's build ID; undefined when there is none (new workflows go to unversioned workers). */
  currentBuildId?: string;
}

type DeploymentService = Pick<
  WorkflowService,
  'describeWorkerDeployment' | 'setWorkerDeploymentCurrentVersion'
>;

export interface PromoteOptions {
  namespace: string;
  version: DeploymentVersion;
  promote: DeploymentPromotion;
  /** How long to keep trying: the server knows a version only once its worker has polled. */
  timeoutMs?: number;
  retryIntervalMs?: number;
}

// NOT_FOUND and FAILED_PRECONDITION: the deployment or version is not registered yet (the worker's
// first poll registers it) or the conflict token is stale; the others are transient.
const RETRYABLE_CODES = new Set([4, 5, 9, 10, 14]);

function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function currentBuildIdOf(
  deploymentName: string,
  routing: { currentDeploymentVersion?: { buildId?: string | null } | null; currentVersion?: string | null },
): string | undefined {
  const buildId = routing.currentDeploymentVersion?.buildId;
  if (buildId) return buildId;
  // Older servers fill only the deprecated "deployment.build" string ('__unversioned__' for none).
  const prefix = `${deploymentName}.`;
  return routing.currentVersion?.startsWith(prefix) ? routing.currentVersion.slice(prefix.length) : undefined;
}

/** The deployment's current build ID; undefined when it has none or does not exist yet. */
export async function currentBuildId(
  service: Pick<WorkflowService, 'describeWorkerDeployment'>,
  namespace: string,
  deploymentName: string,
): Promise<string | undefined> {
  try {
    const described = await service.describeWorkerDeployment({ namespace, deploymentName });
    return currentBuildIdOf(deploymentName, described.workerDeploymentInfo?.routingConfig ?? {});
  } catch (error) {
    if (grpcCode(error) === 5) return undefined;
    throw error;
  }
}

/**
 * Makes `version` current as `promote` says: if-none only when the deployment has no current version
 * (a first deploy: otherwise no workflow would run anywhere), always unless it is current already,
 * never not at all. Call it once the worker polls; it retries until the server knows the version.
 * The conflict token makes a concurrent change by someone else win: the deployment is described again.
 */
export async function promoteVersion(
  service: DeploymentService,
  options: PromoteOptions,
): Promise<Promotion> {
  const { namespace, version, promote } = options;
  const { deploymentName, buildId } = version;
  if (promote === 'never') {
    return { promoted: false, currentBuildId: await currentBuildId(service, namespace, deploymentName) };
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const identity = `${process.pid}@${hostname()}`;
  for (;;) {
    try {
      const described = await service.describeWorkerDeployment({ namespace, deploymentName });
      const current = currentBuildIdOf(deploymentName, described.workerDeploymentInfo?.routingConfig ?? {});
      if (current === buildId || (promote === 'if-none' && current !== undefined)) {
        return { promoted: false, currentBuildId: current };
      }
      await service.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName,
        buildId,
        conflictToken: described.conflictToken,
        identity,
      });
      return { promoted: true, currentBuildId: buildId };
    } catch (error) {
      const code = grpcCode(error);
      if (code === undefined || !RETRYABLE_CODES.has(code) || Date.now() >= deadline) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(
          `could not make build ${buildId} current in Worker Deployment ${deploymentName}: ${message}`,
        );
      }
    }
    await new Promise((resolve) => setTimeout(resolve, options.retryIntervalMs ?? 250));
  }
}
