// Starts bench/floor/proxy-process.ts (the counting proxy in a process of its own) and talks to it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { terminate } from '../../harness/servers';
import type { ActionCounts } from '../counting-proxy';
import { cpuSeconds } from '../proc';

export interface ProxyChild {
  endpoint: string;
  /** Requests since it started (throttled included), and those answered Throttling. */
  snapshot(): Promise<{ counts: ActionCounts; throttled: ActionCounts }>;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const REPO = join(__dirname, '../..');

export async function startProxyChild(target: string): Promise<ProxyChild> {
  // node itself with tsx's loader (not tsx's launcher): one process, whose IPC channel is this one's.
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/floor/proxy-process.ts', target], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const errors: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString('utf8')));
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { endpoint: string }).endpoint));
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code}):\n${errors.join('')}`)));
  });
  return {
    endpoint,
    snapshot: () =>
      new Promise((resolve) => {
        child.once('message', (message) =>
          resolve(message as { counts: ActionCounts; throttled: ActionCounts }),
        );
        child.send('snapshot');
      }),
    cpuSeconds: () => cpuSeconds(child.pid!),
    stop: async () => {
      child.disconnect();
      await terminate(child, 5000);
    },
  };
}
