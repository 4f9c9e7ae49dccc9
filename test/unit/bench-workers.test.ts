import { countedProcesses, describeCounted, sameFrontend } from '../../bench/cluster-server';
import { parseOptions } from '../../bench/options';
import { reapedChildrenCpuSeconds } from '../../bench/proc';
import { groupOf, startGroup, workerShares } from '../../bench/worker-group';
import type { WorkerProcess } from '../../bench/worker-process';

function fakeWorker(figures: { rss: number; peak: number; cpu: number }, stopped: string[], name: string) {
  let rejectCrash: (error: Error) => void = () => undefined;
  const crashed = new Promise<never>((_, reject) => {
    rejectCrash = reject;
  });
  crashed.catch(() => undefined);
  const worker: WorkerProcess = {
    rss: () => figures.rss,
    peakRss: () => figures.peak,
    treeRss: () => figures.rss + 1,
    cpuSeconds: () => figures.cpu,
    signal: () => undefined,
    crashed,
    stop: () => {
      stopped.push(name);
      return Promise.resolve();
    },
  };
  return { worker, crash: (error: Error) => rejectCrash(error) };
}

describe('bench --workers', () => {
  it('defaults to one worker process and takes a count', () => {
    expect(parseOptions([]).workers).toBe(1);
    expect(parseOptions(['--workers', '2']).workers).toBe(2);
  });

  it('gives each process its CPU over the pass per event of the whole pass, so that the shares add up', () => {
    const shares = workerShares(
      [
        { cpuBefore: 10, cpuAfter: 16, peakRssBytes: 300, endRssBytes: 200 },
        { cpuBefore: 3, cpuAfter: 7, peakRssBytes: 310, endRssBytes: 210 },
      ],
      1000,
      20,
    );
    expect(shares).toEqual([
      { cpuSeconds: 6, cpuMsPerEvent: 6, cores: 0.3, peakRssBytes: 300, endRssBytes: 200 },
      { cpuSeconds: 4, cpuMsPerEvent: 4, cores: 0.2, peakRssBytes: 310, endRssBytes: 210 },
    ]);
  });

  it('sums memory and CPU over the group and stops every process', async () => {
    const stopped: string[] = [];
    const a = fakeWorker({ rss: 100, peak: 150, cpu: 2.5 }, stopped, 'a');
    const b = fakeWorker({ rss: 120, peak: 160, cpu: 1.5 }, stopped, 'b');
    const group = groupOf([a.worker, b.worker]);
    expect([group.rss(), group.peakRss(), group.treeRss(), group.cpuSeconds()]).toEqual([220, 310, 222, 4]);
    await group.stop();
    expect(stopped.sort()).toEqual(['a', 'b']);
  });

  it('reports the first crash of any process in the group', async () => {
    const a = fakeWorker({ rss: 0, peak: 0, cpu: 0 }, [], 'a');
    const b = fakeWorker({ rss: 0, peak: 0, cpu: 0 }, [], 'b');
    const group = groupOf([a.worker, b.worker]);
    b.crash(new Error('b exited'));
    await expect(group.crashed).rejects.toThrow('b exited');
  });

  it('is the worker itself when there is one', () => {
    const a = fakeWorker({ rss: 1, peak: 1, cpu: 1 }, [], 'a');
    expect(groupOf([a.worker])).toBe(a.worker);
  });

  it('stops the processes that started when another fails to start', async () => {
    const stopped: string[] = [];
    let n = 0;
    const start = () => {
      n += 1;
      return n === 2
        ? Promise.reject(new Error('worker not ready'))
        : Promise.resolve(fakeWorker({ rss: 0, peak: 0, cpu: 0 }, stopped, `w${n}`).worker);
    };
    await expect(startGroup(3, start)).rejects.toThrow('worker not ready');
    expect(stopped.sort()).toEqual(['w1', 'w3']);
  });
});

describe('bench on a local cluster', () => {
  const status = [
    { name: 'postgres' as const, pid: 10, address: '127.0.0.1:5432' },
    { name: 'history' as const, pid: 11, address: '' },
    { name: 'matching' as const, pid: 12, address: '' },
    { name: 'frontend' as const, pid: 13, address: '' },
    { name: 'worker' as const, pid: 14, address: '' },
    { name: 'ui' as const, pid: 15, address: '' },
  ];

  it('counts PostgreSQL and the four services as the server, not the Web UI', () => {
    const counted = countedProcesses(status);
    expect(counted.map((p) => `${p.name}:${p.pid}`)).toEqual([
      'postgres:10',
      'history:11',
      'matching:12',
      'frontend:13',
      'worker:14',
    ]);
    expect(describeCounted(counted)).toBe(
      'postgres 10 (and its backends), history 11, matching 12, frontend 13, worker 14',
    );
  });

  it('refuses a cluster with a process down rather than count part of the server', () => {
    const matchingDown = status.map((s) => (s.name === 'matching' ? { ...s, pid: undefined } : s));
    expect(() => countedProcesses(matchingDown)).toThrow("the cluster's matching is not running");
  });

  it("checks that --temporal is the cluster's frontend", () => {
    expect(sameFrontend('127.0.0.1:7233', '127.0.0.1:7233')).toBe(true);
    expect(sameFrontend('127.0.0.1:7233', 'localhost:7233')).toBe(true);
    expect(sameFrontend('127.0.0.1:7233', '127.0.0.1:7234')).toBe(false);
    expect(sameFrontend('127.0.0.1:7233', 'temporal.example.com:7233')).toBe(false);
  });

  it("reads the CPU of a process's exited children", async () => {
    const { execFileSync } = await import('node:child_process');
    const before = reapedChildrenCpuSeconds(process.pid);
    // A child that burns some CPU, then is waited for.
    execFileSync(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 300);']);
    expect(reapedChildrenCpuSeconds(process.pid)).toBeGreaterThan(before);
    expect(reapedChildrenCpuSeconds(999_999_999)).toBe(0);
  });
});
