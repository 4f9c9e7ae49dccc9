// Worker Versioning behaviour per workflow type (docs/deploying.md). Declared only where the workflow
// runs on a versioned worker: the server refuses a workflow task completed by an unversioned worker
// with a behaviour ("versioning behavior cannot be specified without deployment options").
import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';

/**
 * Declares `behavior` for `workflow` when its first workflow task ran on a versioned worker. The SDK
 * asks once per run and worker, before the workflow function starts; the deployment version it sees
 * is the one of the run's first task (from history on replay), so the answer is deterministic.
 */
export function versionedAs<A extends unknown[], R>(
  behavior: VersioningBehavior,
  workflow: (...args: A) => Promise<R>,
): void {
  setWorkflowOptions(
    () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: behavior } : {}),
    workflow,
  );
}
