// Runs the service's worker as a separate process, as `npm run worker` does (src/worker.ts; compiled for
// a test run, else through tsx: harness/entry-points.ts), so tests can SIGKILL it mid-work and start it
// again. The worker gets a process group of its own (tsx starts the worker in a child process), and
// SIGKILL goes to the whole group.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cliArguments } from './entry-points';

export interface WorkerProcessOptions {
  temporalAddress: string;
  taskQueue: string;
  /** IAM (moto or the test proxy), as AWS_ENDPOINT_URL. */
  iamEndpoint: string;
  /** More environment, e.g. IAM_ADOPT_UNMANAGED. */
  env?: Record<string, string>;
  /** How long start-up (bundling the workflows included) may take. */
  readyTimeoutMs?: number;
}

export interface WorkerProcess {
  readonly pid: number;
  /** Whether the process has exited. */
  exited(): boolean;
  /** SIGKILL to the whole process group: no graceful shutdown, tasks in hand are lost. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), SIGKILL after 15 s. */
  stop(): Promise<void>;
  /** The last lines the worker wrote to stderr. */
  log(): string;
}

const REPO = join(__dirname, '..');
const READY_LINE = 'worker: polling task queue';
const LOG_LINES = 100;

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // The negative PID addresses the process group that `detached` created: tsx and the worker.
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

/** The environment of a worker process: this one's, pointed at the given Temporal, task queue and IAM. */
export function workerEnvironment(
  options: Pick<WorkerProcessOptions, 'temporalAddress' | 'taskQueue' | 'iamEndpoint' | 'env'>,
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    AWS_ENDPOINT_URL: options.iamEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ACCOUNT_ID: '123456789012',
    ...options.env,
  };
}

/** Starts the worker and resolves once it polls its task queue. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child = spawn(process.execPath, cliArguments('src/worker.ts', []), {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: workerEnvironment(options),
  });
  const lines: string[] = [];
  const exited = waitForExit(child);
  const ready = new Promise<void>((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 120_000;
    const timer = setTimeout(
      () => reject(new Error(`worker not ready within ${timeoutMs} ms:\n${lines.join('')}`)),
      timeoutMs,
    );
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      lines.push(text);
      if (lines.length > LOG_LINES) lines.shift();
      if (text.includes(READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(
        new Error(
          `worker exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${lines.join('')}`,
        ),
      );
    });
  });
  try {
    await ready;
  } catch (error) {
    signalGroup(child, 'SIGKILL');
    throw error;
  }
  return {
    pid: child.pid!,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async kill() {
      signalGroup(child, 'SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 15_000);
      // To the process alone (tsx passes it on to the worker once), so shutdown stays graceful.
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
    log: () => lines.join(''),
  };
}

export interface SupervisedWorker {
  /** How often the worker exited by itself and was started again. */
  restarts(): number;
  /** Stops the supervising, then the worker. */
  stop(): Promise<void>;
}

/**
 * A worker process started again whenever it exits by itself, as a supervisor would (each restart
 * counted and logged with the worker's last words): scenarios expect the worker to ride out faults,
 * and a restart shows where it did not.
 */
export async function startSupervisedWorker(
  options: WorkerProcessOptions,
  log: (line: string) => void = () => undefined,
): Promise<SupervisedWorker> {
  let worker = await startWorkerProcess(options);
  let restarts = 0;
  let supervising = true;
  const supervisor = (async () => {
    while (supervising) {
      if (worker.exited()) {
        restarts += 1;
        log(`the worker exited:\n${worker.log().slice(-500)}`);
        worker = await startWorkerProcess(options).catch(() => worker);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  return {
    restarts: () => restarts,
    async stop() {
      supervising = false;
      await supervisor;
      await worker.stop();
    },
  };
}
