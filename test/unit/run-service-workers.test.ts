import type { Worker } from '@temporalio/worker';
import { runServiceWorkers } from '../../src/temporal/service-worker';

/** A stand-in for an SDK worker: run() until shut down or failed, with the SDK's states. */
function fakeWorker() {
  let state = 'INITIALIZED';
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const worker = {
    getState: () => state,
    run: () => {
      state = 'RUNNING';
      return new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    },
    shutdown: () => {
      state = 'STOPPED';
      settle?.resolve();
    },
  };
  return {
    worker: worker as unknown as Worker,
    state: () => state,
    fail: (error: Error) => {
      state = 'FAILED';
      settle?.reject(error);
    },
  };
}

test('one worker failing stops the others, and the run fails with its error', async () => {
  const [a, b, c] = [fakeWorker(), fakeWorker(), fakeWorker()];
  const running = runServiceWorkers([a.worker, b.worker, c.worker]);
  b.fail(new Error('poller failed'));
  await expect(running).rejects.toThrow('poller failed');
  expect([a.state(), b.state(), c.state()]).toEqual(['STOPPED', 'FAILED', 'STOPPED']);
});

test('one worker shut down (a signal reaches them all the same way) stops the others; the run ends', async () => {
  const [a, b] = [fakeWorker(), fakeWorker()];
  let started = false;
  const running = runServiceWorkers([a.worker, b.worker], () => (started = true));
  expect(started).toBe(true);
  a.worker.shutdown();
  await expect(running).resolves.toBeUndefined();
  expect([a.state(), b.state()]).toEqual(['STOPPED', 'STOPPED']);
});
