// The floor's workflows bundled as a worker bundles them: for bench/floor-worker.ts and its test.
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { join } from 'node:path';

export const FLOOR_WORKFLOWS_PATH = join(__dirname, 'workflows.ts');
/** The floor with the service's activity shape (./shaped-policy-workflow.ts). */
export const SHAPED_FLOOR_WORKFLOWS_PATH = join(__dirname, 'shaped-workflows.ts');
/** The same without the observation's local activity (./writes-workflows.ts). */
export const WRITES_FLOOR_WORKFLOWS_PATH = join(__dirname, 'writes-workflows.ts');

export function bundleFloorWorkflows(
  workflowsPath: string = FLOOR_WORKFLOWS_PATH,
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
}
