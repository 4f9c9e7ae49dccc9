// What the worker retains, as opposed to where V8's collection cycle happens to be: on SIGUSR2 a full
// collection runs in every thread of the process (the main thread and the SDK's workflow threads, reached
// through the inspector's NodeWorker domain, no --inspect needed), and one JSON line with each thread's
// heap before and after, and the process's RSS, is appended to a file. Optionally a heap snapshot of every
// thread is written at chosen probes, to compare what stays between two of them.
import { Session } from 'node:inspector';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface HeapUsage {
  usedSize: number;
  totalSize: number;
}

export interface HeapProbeLine {
  probe: number;
  rssBefore: number;
  rssAfter: number;
  /** How long the probe took (the collections pause the threads), ms. */
  tookMs: number;
  threads: { thread: string; before: HeapUsage; after: HeapUsage; snapshot?: string }[];
}

export interface HeapProbeOptions {
  /** The JSON-lines file the probes are appended to. */
  file: string;
  /** Where heap snapshots go, and at which probes (1-based) they are taken. */
  snapshotDir?: string;
  snapshotAt?: ReadonlySet<number>;
}

/** The probe lines written to `file` so far (none when it does not exist yet). */
export function readHeapProbeLines(file: string): HeapProbeLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as HeapProbeLine);
}

interface WorkerMessage {
  id?: number;
  method?: string;
  params?: { chunk?: string };
  result?: unknown;
  error?: { message: string };
}

/** One inspector session, with the workflow threads attached to it as they start. */
class ProcessInspector {
  private readonly session = new Session();
  private readonly workers = new Map<string, string>(); // sessionId → title
  private readonly pending = new Map<number, (message: WorkerMessage) => void>();
  private readonly chunkSinks = new Map<string, (chunk: string) => void>();
  private nextId = 0;

  constructor() {
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', (event) => {
      const { sessionId, workerInfo } = event.params as { sessionId: string; workerInfo: { title: string } };
      this.workers.set(sessionId, workerInfo.title);
    });
    this.session.on('NodeWorker.detachedFromWorker', (event) => {
      this.workers.delete(event.params.sessionId);
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (event) => {
      const { sessionId, message } = event.params;
      const parsed = JSON.parse(message) as WorkerMessage;
      if (parsed.method === 'HeapProfiler.addHeapSnapshotChunk' && parsed.params?.chunk !== undefined) {
        this.chunkSinks.get(sessionId)?.(parsed.params.chunk);
      } else if (parsed.id !== undefined) {
        this.pending.get(parsed.id)?.(parsed);
        this.pending.delete(parsed.id);
      }
    });
    this.session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  threads(): string[] {
    return ['main', ...this.workers.keys()];
  }

  title(thread: string): string {
    return thread === 'main' ? 'main' : (this.workers.get(thread) ?? thread);
  }

  call<T>(thread: string, method: string, params: object = {}): Promise<T> {
    if (thread === 'main') {
      return new Promise((resolve, reject) => {
        this.session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T)));
      });
    }
    return new Promise((resolve, reject) => {
      const id = ++this.nextId;
      this.pending.set(id, (message) =>
        message.error ? reject(new Error(message.error.message)) : resolve(message.result as T),
      );
      this.session.post('NodeWorker.sendMessageToWorker', {
        sessionId: thread,
        message: JSON.stringify({ id, method, params }),
      });
    });
  }

  /** Written at once when complete: a write stream's end did not always call back while threads were paused. */
  async snapshot(thread: string, path: string): Promise<void> {
    const chunks: string[] = [];
    const collect = (chunk: string) => chunks.push(chunk);
    const onMain = (message: { params: { chunk: string } }) => collect(message.params.chunk);
    if (thread === 'main') this.session.on('HeapProfiler.addHeapSnapshotChunk', onMain);
    else this.chunkSinks.set(thread, collect);
    try {
      await this.call(thread, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    } finally {
      if (thread === 'main') this.session.off('HeapProfiler.addHeapSnapshotChunk', onMain);
      else this.chunkSinks.delete(thread);
    }
    writeFileSync(path, chunks.join(''));
  }
}

export function installHeapProbe(options: HeapProbeOptions): void {
  const inspector = new ProcessInspector();
  let probes = 0;
  let running = Promise.resolve();
  const probe = async (): Promise<void> => {
    const probeNumber = ++probes;
    const started = Date.now();
    const rssBefore = process.memoryUsage.rss();
    const threads: HeapProbeLine['threads'] = [];
    for (const thread of inspector.threads()) {
      const before = await inspector.call<HeapUsage>(thread, 'Runtime.getHeapUsage');
      // Twice: objects with finalizers or weak references are freed by the second.
      await inspector.call(thread, 'HeapProfiler.collectGarbage');
      await inspector.call(thread, 'HeapProfiler.collectGarbage');
      const after = await inspector.call<HeapUsage>(thread, 'Runtime.getHeapUsage');
      const name = inspector.title(thread);
      let snapshot: string | undefined;
      if (options.snapshotDir && options.snapshotAt?.has(probeNumber)) {
        mkdirSync(options.snapshotDir, { recursive: true });
        snapshot = join(
          options.snapshotDir,
          `probe-${probeNumber}-${name.replace(/\W+/g, '_')}.heapsnapshot`,
        );
        await inspector.snapshot(thread, snapshot);
      }
      threads.push({ thread: name, before, after, ...(snapshot ? { snapshot } : {}) });
    }
    const line: HeapProbeLine = {
      probe: probeNumber,
      rssBefore,
      rssAfter: process.memoryUsage.rss(),
      tookMs: Date.now() - started,
      threads,
    };
    appendFileSync(options.file, `${JSON.stringify(line)}\n`);
  };
  process.on('SIGUSR2', () => {
    running = running.then(probe).catch((error: unknown) => {
      process.stderr.write(`heap probe failed: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
}
