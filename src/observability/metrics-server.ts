// One Prometheus scrape target for the worker: GET /metrics answers the service's metrics (prom-client)
// followed by the Temporal SDK's runtime metrics, which the SDK's own exporter serves on a private
// loopback port. Their names never collide (iam_policy_events_* and temporal_*).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** http://127.0.0.1:PORT/metrics of the SDK's Prometheus exporter; absent when it runs without one. */
  sdkMetricsUrl?: string;
}

export interface MetricsServer {
  /** The port it listens on (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

async function sdkMetrics(url: string | undefined): Promise<string> {
  if (!url) return '';
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return response.ok ? await response.text() : `# SDK metrics unavailable: HTTP ${response.status}\n`;
  } catch (error) {
    // The service's own metrics are still worth serving.
    return `# SDK metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`;
  }
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    void Promise.all([options.registry.metrics(), sdkMetrics(options.sdkMetricsUrl)]).then(
      ([own, sdk]) => {
        response.writeHead(200, { 'content-type': options.registry.contentType });
        response.end(`${own}\n${sdk}`);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A free loopback port for the SDK's exporter (the SDK needs a fixed address, not port 0). */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
