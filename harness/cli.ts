// Runs the project's CLIs (src/*.ts: harness/entry-points.ts) as child processes, as an operator or
// upstream system would.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cliArguments } from './entry-points';

export const ROOT = join(__dirname, '..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout's non-blank lines parsed as JSON (throws if one is not). */
  lines(): Record<string, unknown>[];
}

export function runCli(
  script: string,
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArguments(script, args), {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        lines: () =>
          stdout
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => JSON.parse(line) as Record<string, unknown>),
      }),
    );
    child.stdin.end(options.stdin ?? '');
  });
}

/** The environment that points a CLI at moto as IAM (any credentials do). */
export function motoEnvironment(iamEndpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: iamEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ACCOUNT_ID: '123456789012',
  };
}
