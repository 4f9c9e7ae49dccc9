import { rmSync } from 'node:fs';

export default function unitGlobalTeardown(): void {
  if (globalThis.__compiledSources) rmSync(globalThis.__compiledSources, { recursive: true, force: true });
}
