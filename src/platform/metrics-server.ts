/**
 * The HTTP endpoint every long-running netpol process opens for operators: `/metrics` for
 * Prometheus (500 if rendering fails), `/healthz` answering 200 while the process serves (liveness),
 * and `/readyz` answering 200 only when `readiness()` says so, else 503 with the reason (without a
 * `readiness`, always ready). Nothing else is served: it carries no Slack or Kubernetes traffic, so
 * it can listen where only the cluster's Prometheus reaches.
 *
 * Port 0 listens on any free port (tests); `port` says which.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsEndpoint } from './metrics';

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  port: number;
  host: string;
  metrics?: MetricsEndpoint;
  readiness?: () => Readiness;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { metrics, readiness } = options;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end();
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const state = readiness?.() ?? { ready: true };
      response
        .writeHead(state.ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end(state.ready ? 'ready\n' : `not ready: ${state.reason ?? 'starting'}\n`);
    } else if (path === '/metrics' && metrics !== undefined) {
      metrics.render().then(
        (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
    } else {
      response.writeHead(404).end();
    }
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
