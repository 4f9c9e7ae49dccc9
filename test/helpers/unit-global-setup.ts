// The unit project's few CLI tests (`--help`, usage errors) start the CLIs as processes: from src/
// compiled once here, as in the integration run, rather than through tsx in every process.
import { join } from 'node:path';
import { COMPILED_SOURCES, compileSources } from '../../harness/entry-points';

declare global {
  var __compiledSources: string | undefined;
}

export default async function unitGlobalSetup(): Promise<void> {
  const compiled = join(__dirname, '..', '..', 'test-artifacts', 'compiled', `${process.pid}-${Date.now()}`);
  await compileSources(compiled);
  globalThis.__compiledSources = compiled;
  process.env[COMPILED_SOURCES] = compiled;
}
