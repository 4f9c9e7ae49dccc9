// The floor's workflows bundled as a worker bundles them: for bench/floor-worker.ts and its test.
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { join } from 'node:path';

export const FLOOR_WORKFLOWS_PATH = join(__dirname, 'workflows.ts');

export function bundleFloorWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: FLOOR_WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
}
