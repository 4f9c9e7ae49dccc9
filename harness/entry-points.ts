// How tests start the project's CLIs (src/worker.ts, src/starter.ts, src/ingest.ts, src/consume-sqs.ts)
// as processes. A test run compiles src/ once (jest's global setup) and runs the JavaScript with node:
// tsx would transform the sources again in every process, in a launcher process of its own, which costs
// each start more CPU than the rest of a short starter run. Outside such a run (bench/, scripts/, a test
// file run by hand without the global setup) tsx runs the TypeScript.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** Names the directory of src/ compiled for this test run (set by jest's global setup). */
export const COMPILED_SOURCES = 'TEST_COMPILED_SOURCES';

/** Node's arguments that run `script` (a path under src/, relative to the repository) with `args`. */
export function cliArguments(script: string, args: string[]): string[] {
  const compiled = process.env[COMPILED_SOURCES];
  if (compiled && script.startsWith('src/') && script.endsWith('.ts')) {
    const file = join(compiled, `${script.slice(0, -'.ts'.length)}.js`);
    if (existsSync(file)) return [file, ...args];
  }
  return [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), script, ...args];
}

/**
 * Compiles src/ (and the JSON it imports) into `directory`, which must lie inside the repository so
 * that the compiled files find node_modules. Types are checked by `npm test`'s own type check.
 */
export async function compileSources(directory: string): Promise<void> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    '-p',
    join(ROOT, 'tsconfig.build.json'),
    '--outDir',
    directory,
    '--noCheck',
    '--sourceMap',
    'false',
  ];
  try {
    await promisify(execFile)(process.execPath, [tsc, ...args], { cwd: ROOT });
  } catch (error) {
    const {
      stdout = '',
      stderr = '',
      message,
    } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`compiling src/ failed: ${message}${stdout}${stderr}`);
  }
}
