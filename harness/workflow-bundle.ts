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
