// Long-running CLIs of the project (worker, ingest, SQS consumer) as child processes for a test: wait
// for a line that says they are ready, collect their output, stop them with a signal. Where tsx runs the
// script (harness/entry-points.ts), it does so in a child process of its own, so each gets a process
// group: SIGKILL goes to the whole group (to tsx alone it would leave the script running), other signals
// to the process started, which tsx passes on once.
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from './cli';
import { cliArguments } from './entry-points';

export interface ServiceProcess {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout's JSON lines (pino logs), parsed; lines that are not JSON are skipped. */
  logLines(): Record<string, unknown>[];
  /** Resolves when `pattern` appears on stdout or stderr; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM (or `signal`), then the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(script: string, args: string[], env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, cliArguments(script, args), {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    notify();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    notify();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', notify);

  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    logLines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    waitFor: (pattern, timeoutMs = 60000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(stdout) || pattern.test(stderr)) return done(resolve);
          if (child.exitCode !== null || child.signalCode !== null) {
            done(() =>
              reject(
                new Error(
                  `${script} exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${stderr}`,
                ),
              ),
            );
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${script}: no ${pattern} within ${timeoutMs} ms:\n${stderr}`))),
          timeoutMs,
        );
        const done = (finish: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          finish();
        };
        listeners.add(check);
        check();
      }),
    async stop(signal = 'SIGTERM') {
      if (signal === 'SIGKILL') killGroup();
      else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(killGroup, 20000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Fetches a URL's text (for /metrics, /healthz). */
export async function fetchText(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

/** The value of one Prometheus sample, e.g. metricValue(text, 'x_total', { outcome: 'created' }); 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (matches) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
