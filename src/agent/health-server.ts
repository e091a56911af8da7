/**
 * The agent's HTTP endpoints: for the kubelet, `/healthz` answers 200 while the process serves
 * (liveness), `/readyz` answers 200 only when `ready()` says so (the informers have listed and the
 * maps hold what the engine computed), else 503 with the reason; for Prometheus, `/metrics` (when
 * given a renderer: metrics.ts), 500 if rendering fails. Nothing else is served.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface MetricsEndpoint {
  readonly contentType: string;
  render(): Promise<string>;
}

export async function startHealthServer(options: {
  port: number;
  host: string;
  readiness: () => Readiness;
  metrics?: MetricsEndpoint;
}): Promise<HealthServer> {
  const metrics = options.metrics;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end();
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const state = options.readiness();
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
