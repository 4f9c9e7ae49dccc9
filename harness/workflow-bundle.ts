// The service's workflows bundled as the worker bundles them, optionally with `@temporalio/workflow`
// replaced by a module of our own (a variant that issues other commands: replay tests, bench A/B runs).
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { workflowsPath } from '../src/temporal/service-worker';

export function bundleServiceWorkflows(workflowModule?: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    logger: new DefaultLogger('WARN'),
    ...(workflowModule
      ? {
          webpackConfigHook: (config) => {
            const resolve = config.resolve ?? {};
            const alias = Array.isArray(resolve.alias) ? {} : (resolve.alias ?? {});
            // Only the bare specifier: the replacement itself imports '@temporalio/workflow/lib/index'.
            config.resolve = { ...resolve, alias: { ...alias, '@temporalio/workflow$': workflowModule } };
            return config;
          },
        }
      : {}),
  });
}

/**
 * Names a file holding the service's workflows prebuilt (bundleServiceWorkflows' code): in-process test
 * workers use it, and so does src/worker.ts, so worker processes skip bundling too. jest's global setup
 * writes one per run and sets it.
 */
export const WORKFLOW_BUNDLE_PATH = 'WORKFLOW_BUNDLE_PATH';

let bundled: Promise<WorkflowBundleWithSourceMap> | undefined;

/**
 * The service's workflows for a worker in this process: the file WORKFLOW_BUNDLE_PATH names, else a bundle
 * built once per process on first use.
 */
export function serviceWorkflowBundle(): Promise<WorkflowBundleWithSourceMap | { codePath: string }> {
  const codePath = process.env[WORKFLOW_BUNDLE_PATH];
  if (codePath) return Promise.resolve({ codePath });
  bundled ??= bundleServiceWorkflows();
  return bundled;
}
