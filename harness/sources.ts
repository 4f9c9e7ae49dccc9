// The event sources as processes, met as an upstream system meets them: the starter CLI fed line by
// line on stdin, the ingest HTTP server, the SQS consumer. Shared by the e2e tests and the outage
// scenario (harness/scenarios/temporal-outage.ts).
import { spawn } from 'node:child_process';
import { ROOT } from './cli';
import { cliArguments } from './entry-points';
import { freePort } from './servers';
import { startProcess, type ServiceProcess } from './processes';

/** The bearer token of every ingest process the tests start. */
export const INGEST_TOKEN = 'test-token-0123456789abcdef';

export interface StreamingStarter {
  write(line: unknown): void;
  end(): void;
  /** Resolves once stdout holds `count` lines (rejects after `timeoutMs`). */
  lines(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  /** Resolves once stderr matches `pattern` (rejects after `timeoutMs`). */
  stderrMatches(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stdout(): string;
  stderr(): string;
  /** SIGKILL, for clean-up. */
  kill(): void;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** `starter ARGS` (e.g. submit - --retry-for 6) with stdin open, so a test writes the stream as it goes. */
export function startStreamingStarter(args: string[], env: Record<string, string>): StreamingStarter {
  const child = spawn(process.execPath, cliArguments('src/starter.ts', args), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A starter that exited already makes a later write fail with EPIPE: that is in its exit status.
  child.stdin.on('error', () => undefined);
  const parsed = () =>
    stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const poll = async (done: () => boolean, timeoutMs: number, what: () => string) => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`${what()}; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    write: (line) => {
      if (child.stdin.writable) child.stdin.write(`${JSON.stringify(line)}\n`);
    },
    end: () => child.stdin.end(),
    lines: async (count, timeoutMs = 60_000) => {
      await poll(
        () => parsed().length >= count,
        timeoutMs,
        () => `no ${count} lines`,
      );
      return parsed();
    },
    stderrMatches: (pattern, timeoutMs = 90_000) =>
      poll(
        () => pattern.test(stderr),
        timeoutMs,
        () => `stderr never matched ${String(pattern)}`,
      ),
    stdout: () => stdout,
    stderr: () => stderr,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    exited: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
  };
}

/** The environment of an ingest process on `port`, with the test token. */
export function ingestEnvironment(
  temporalAddress: string,
  taskQueue: string,
  port: number,
): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    INGEST_PORT: String(port),
    INGEST_HOST: '127.0.0.1',
    INGEST_TOKEN,
    INGEST_BODY_LIMIT: '65536',
  };
}

export interface IngestProcess {
  process: ServiceProcess;
  url: string;
  /** POSTs one structured CloudEvent with the token. */
  post(event: unknown, signal?: AbortSignal): Promise<Response>;
}

/** `npm run ingest` on a free port, once it listens. */
export async function startIngest(
  temporalAddress: string,
  taskQueue: string,
  env: Record<string, string> = {},
): Promise<IngestProcess> {
  const port = await freePort();
  const started = startProcess('src/ingest.ts', [], {
    ...ingestEnvironment(temporalAddress, taskQueue, port),
    ...env,
  });
  await started.waitFor(/ingest: listening/);
  const url = `http://127.0.0.1:${port}`;
  return {
    process: started,
    url,
    post: (event, signal) =>
      fetch(`${url}/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(event),
        signal,
      }),
  };
}

/** `npm run consume-sqs` on `queueUrl`, its SQS calls to `sqsEndpoint` (moto), logging at info. */
export function startConsumer(
  queueUrl: string,
  options: { temporalAddress: string; taskQueue: string; sqsEndpoint: string; args?: string[] },
): ServiceProcess {
  const args = ['--queue-url', queueUrl, '--wait-time', '1', ...(options.args ?? [])];
  return startProcess('src/consume-sqs.ts', args, {
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    AWS_ENDPOINT_URL_SQS: options.sqsEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    LOG_LEVEL: 'info',
  });
}
