// Several worker processes on one task queue, each behind a write recorder of its own
// (iam-write-recorder.ts) in front of the same IAM, all recording into one log: which worker wrote
// what, and whether two writes of one policy were ever in flight at once.
import { readFileSync } from 'node:fs';
import { IamWriteLog, startWriteRecorder, type WriteRecorder } from './iam-write-recorder';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

export interface RecordedWorker {
  /** The recorder's label, as IamWrite.worker names it. */
  name: string;
  recorder: WriteRecorder;
  process: WorkerProcess;
  /** How often it was started again after it exited. */
  restarts: number;
}

export interface RecordedWorkers {
  log: IamWriteLog;
  workers: RecordedWorker[];
  named(name: string): RecordedWorker;
  /**
   * The worker whose process wrote a Temporal worker identity (the SDK's default, `<pid>@<host>`, names
   * the worker's own process, a child of the process this module started).
   */
  ofIdentity(identity: string): RecordedWorker | undefined;
  stop(): Promise<void>;
}

/** The parent of `pid`, from /proc; undefined once it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Whether `pid` is `ancestor` or runs under it. */
function descendsFrom(pid: number, ancestor: number): boolean {
  for (let current: number | undefined = pid, depth = 0; current && depth < 10; depth += 1) {
    if (current === ancestor) return true;
    current = parentOf(current);
  }
  return false;
}

export interface RecordedWorkersOptions {
  names: string[];
  temporalAddress: string;
  taskQueue: string;
  /** Where the recorders forward to: moto, or a proxy in front of it. */
  iamEndpoint: string;
  env?: Record<string, string>;
  /** Start a worker again whenever it exits (as a supervisor would), or leave it gone. */
  restartOnExit: boolean;
  log?: (line: string) => void;
}

export async function startRecordedWorkers(options: RecordedWorkersOptions): Promise<RecordedWorkers> {
  const log = new IamWriteLog();
  const recorders = await Promise.all(
    options.names.map((name) => startWriteRecorder(options.iamEndpoint, name, log)),
  );
  const start = (recorder: WriteRecorder) =>
    startWorkerProcess({
      temporalAddress: options.temporalAddress,
      taskQueue: options.taskQueue,
      iamEndpoint: recorder.endpoint,
      env: options.env,
    });
  const started = await Promise.allSettled(recorders.map(start));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    await Promise.allSettled(running.map((worker) => worker.stop()));
    await Promise.allSettled(recorders.map((recorder) => recorder.close()));
    throw failed.reason;
  }
  const workers: RecordedWorker[] = recorders.map((recorder, i) => ({
    name: options.names[i],
    recorder,
    process: (started[i] as PromiseFulfilledResult<WorkerProcess>).value,
    restarts: 0,
  }));
  let supervising = options.restartOnExit;
  const supervisor = (async () => {
    while (supervising) {
      for (const worker of workers) {
        if (!supervising || !worker.process.exited()) continue;
        worker.restarts += 1;
        worker.process = await start(worker.recorder).catch((error: unknown) => {
          options.log?.(`worker ${worker.name} did not start again: ${String(error)}`);
          return worker.process;
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    log,
    workers,
    named(name) {
      const worker = workers.find((candidate) => candidate.name === name);
      if (!worker) throw new Error(`no worker ${name}`);
      return worker;
    },
    ofIdentity(identity) {
      const pid = Number(identity.split('@')[0]);
      return workers.find((worker) => Number.isInteger(pid) && descendsFrom(pid, worker.process.pid));
    },
    async stop() {
      supervising = false;
      await supervisor;
      await Promise.allSettled(workers.map((worker) => worker.process.stop()));
      await Promise.allSettled(recorders.map((recorder) => recorder.close()));
    },
  };
}
