// The counting proxy (bench/counting-proxy.ts) in a process of its own, so that its CPU is measured
// apart from the bench process's: in the floor-ratio scenario the bench process's CPU is the submitting
// client's (and, in a direct pass, the direct consumer's own), without the proxy's forwarding.
// Run by bench/floor/proxy-child.ts: `node --import tsx bench/floor/proxy-process.ts <moto URL>`, with an
// IPC channel: it sends { endpoint } once listening, and answers 'snapshot' with its counts.
import { startCountingProxy } from '../counting-proxy';

async function main(): Promise<void> {
  const target = process.argv[2];
  if (!target || !process.send) throw new Error('usage: with an IPC channel, proxy-process.ts <moto URL>');
  const proxy = await startCountingProxy(target);
  process.on('message', (message) => {
    if (message === 'snapshot') {
      process.send!({ counts: proxy.snapshot(), throttled: proxy.throttledSnapshot() });
    }
  });
  process.once('disconnect', () => void proxy.close().then(() => process.exit(0)));
  process.send({ endpoint: proxy.endpoint });
}

main().catch((error: unknown) => {
  process.stderr.write(`proxy-process: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
