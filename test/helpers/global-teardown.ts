import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__servers ?? []).map((server) => server.stop()));
  if (globalThis.__workflowBundle) rmSync(globalThis.__workflowBundle, { force: true });
  if (globalThis.__compiledSources) rmSync(globalThis.__compiledSources, { recursive: true, force: true });
}
