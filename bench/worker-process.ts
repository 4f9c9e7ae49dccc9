// Runs the service's worker as a separate process (as `npm run worker` would) and samples its memory
// and CPU from /proc while it runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { terminate } from '../harness/servers';
import { workerEnvironment } from '../harness/worker-process';
import { commandLine, cpuSeconds, processTree, statusBytes } from './proc';

export interface WorkerProcessOptions {
  temporalAddress: string;
  taskQueue: string;
  iamEndpoint: string;
  /** The worker's entry point, relative to the repository; src/worker.ts unless profiling a variant. */
  entry: string;
  /** Extra environment (e.g. tuning read by bench/tuned-worker.ts). */
  env?: Record<string, string>;
  /**
   * Node flags (e.g. --cpu-prof): then node runs the entry itself with tsx's loader (`node FLAGS --import
   * tsx ENTRY`) instead of through tsx's launcher, so that the flags apply to the worker's process.
   */
  nodeArgs?: string[];
  /** Run under `nice -n N`, every thread of it (a lower CPU priority than the rest of the machine's work). */
  niceness?: number;
}

export interface WorkerProcess {
  /** Resident memory (VmRSS) of the node process that runs the worker, in bytes. */
  rss(): number;
  /** Its peak resident memory (VmHWM, kept by the kernel): start-up, when the workflows are bundled, included. */
  peakRss(): number;
  /** Resident memory of the whole tree: tsx's launcher (about 50 MiB) and the worker. */
  treeRss(): number;
  /** Sends a signal to the node process that runs the worker (SIGUSR2: bench/heap-probe.ts). */
  signal(name: NodeJS.Signals): void;
  /** CPU seconds used by the tree so far. */
  cpuSeconds(): number;
  /** Rejects if the worker exits before stop() (with its last output): race a pass against it. */
  crashed: Promise<never>;
  stop(): Promise<void>;
}

const REPO = join(__dirname, '..');
const READY_LINE = 'worker: polling task queue';

function waitForReady(child: ChildProcess, log: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not ready within ${timeoutMs} ms:\n${log.join('')}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log.push(text);
      if (log.length > 200) log.shift();
      if (text.includes(READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with code ${code} before it was ready:\n${log.join('')}`));
    });
  });
}

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const args =
    options.nodeArgs && options.nodeArgs.length > 0
      ? [...options.nodeArgs, '--import', 'tsx', options.entry]
      : [join(REPO, 'node_modules/tsx/dist/cli.mjs'), options.entry];
  const command =
    options.niceness === undefined
      ? { file: process.execPath, args }
      : { file: 'nice', args: ['-n', String(options.niceness), process.execPath, ...args] };
  const child = spawn(command.file, command.args, {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: workerEnvironment(options),
  });
  const log: string[] = [];
  await waitForReady(child, log, 120_000);
  let stopping = false;
  const crashed = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      if (!stopping)
        reject(new Error(`the worker exited (${signal ?? code}) during the run:\n${log.join('')}`));
    });
  });
  crashed.catch(() => undefined); // Handled by whoever races against it.
  // tsx's launcher starts the node process that runs the worker (and that one may start esbuild).
  const tree = processTree(child.pid!);
  const workerPid =
    tree.find((pid) => {
      const command = commandLine(pid);
      return command.includes(options.entry) && !command.includes('cli.mjs');
    }) ?? child.pid!;
  return {
    rss: () => statusBytes(workerPid, 'VmRSS') ?? 0,
    peakRss: () => statusBytes(workerPid, 'VmHWM') ?? 0,
    treeRss: () => tree.reduce((sum, pid) => sum + (statusBytes(pid, 'VmRSS') ?? 0), 0),
    signal: (name) => process.kill(workerPid, name),
    cpuSeconds: () => tree.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    crashed,
    stop: () => {
      stopping = true;
      return terminate(child, 15_000);
    },
  };
}
