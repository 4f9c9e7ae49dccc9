// What a result was measured on: the commit, whether src/ differs from it (other people may be editing
// the checkout), a digest of src/ as it was run, the tools' versions and the machine's load.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { temporalCliPath } from '../harness/servers';

const REPO = join(__dirname, '..');

function commandOutput(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** SHA-256 over src/'s file names and contents: equal digests, equal code under test. */
export function sourceDigest(): string {
  const hash = createHash('sha256');
  for (const file of filesUnder(join(REPO, 'src')).sort()) {
    hash.update(relative(REPO, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export function provenance() {
  const changed = commandOutput('git', ['status', '--porcelain', '--', 'src']);
  return {
    commit: commandOutput('git', ['rev-parse', '--short', 'HEAD']),
    srcChangedSinceCommit: changed !== '' && changed !== 'unknown',
    srcDigest: sourceDigest(),
    temporalCli: commandOutput(temporalCliPath(), ['--version']),
    loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
  };
}
