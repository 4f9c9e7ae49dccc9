// Starts one Temporal dev server and one moto for the whole integration run; tests isolate themselves
// with their own task queues and policy names. Addresses reach the test workers through the environment.
// The workflows are bundled once here too: every worker of the run, in a test's process or a worker
// process (src/worker.ts), loads that file instead of bundling them again (WORKFLOW_BUNDLE_PATH).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMoto, startTemporal, type RunningServer } from '../../harness/servers';
import { COMPILED_SOURCES, compileSources } from '../../harness/entry-points';
import { bundleServiceWorkflows, WORKFLOW_BUNDLE_PATH } from '../../harness/workflow-bundle';

declare global {
  var __servers: RunningServer[] | undefined;
  var __workflowBundle: string | undefined;
  var __compiledSources: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  // The CLIs that tests start as processes run from this, not through tsx (harness/entry-points.ts).
  const compiled = join(__dirname, '..', '..', 'test-artifacts', 'compiled', `${process.pid}-${Date.now()}`);
  const [temporal, moto, bundle] = await Promise.all([
    startTemporal(),
    startMoto(),
    bundleServiceWorkflows(),
    compileSources(compiled),
  ]);
  globalThis.__compiledSources = compiled;
  process.env[COMPILED_SOURCES] = compiled;
  globalThis.__servers = [temporal, moto];
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.TEST_IAM_ENDPOINT = moto.address;
  // One file per run: another run in the same checkout (after an edit of the workflows) has its own.
  const directory = join(__dirname, '..', '..', 'test-artifacts', 'workflow-bundles');
  mkdirSync(directory, { recursive: true });
  const codePath = join(directory, `workflows-${process.pid}-${Date.now()}.js`);
  writeFileSync(codePath, bundle.code);
  globalThis.__workflowBundle = codePath;
  process.env[WORKFLOW_BUNDLE_PATH] = codePath;
}
