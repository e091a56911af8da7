/**
 * The operators' endpoint every process opens (metrics-server.ts) over a registry of its own
 * (metrics.ts), as Prometheus and the kubelet see it: /metrics in the text format, a queue whose
 * depth cannot be read left out of the scrape while the others are served, /readyz saying why it is
 * not ready, a scrape that fails answered 500, and nothing else served.
 */
import pino from 'pino';
import { Counter } from 'prom-client';
import {
  createMetricsRegistry,
  metricsEndpoint,
  registerQueueDepths,
  type QueueDepthSource,
} from './metrics';
import { startMetricsServer, type MetricsServer } from './metrics-server';

const servers: MetricsServer[] = [];
afterAll(async () => Promise.all(servers.map((server) => server.close())));

async function start(options: Omit<Parameters<typeof startMetricsServer>[0], 'port' | 'host'>) {
  const server = await startMetricsServer({ port: 0, host: '127.0.0.1', ...options });
  servers.push(server);
  return (path: string, method = 'GET') => fetch(`http://127.0.0.1:${server.port}${path}`, { method });
}

function queue(name: string, counts: Record<string, number> | Error): QueueDepthSource {
  return {
    name,
    getJobCounts: async () => {
      if (counts instanceof Error) throw counts;
      return counts;
    },
  };
}

test('/metrics serves the registry; a queue that cannot be read is left out, the others served', async () => {
  const registry = createMetricsRegistry({ processMetrics: false });
  new Counter({ name: 'netpol_test_total', help: 'a counter', registers: [registry] }).inc(3);
  registerQueueDepths(
    registry,
    () => [queue('apply-prod', { waiting: 2, active: 1 }), queue('apply-down', new Error('redis gone'))],
    pino({ level: 'silent' }),
  );
  const get = await start({ metrics: metricsEndpoint(registry) });
  const response = await get('/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const body = await response.text();
  expect(body).toContain('netpol_test_total 3');
  expect(body).toContain('netpol_queue_jobs{queue="apply-prod",state="waiting"} 2');
  expect(body).toContain('netpol_queue_jobs{queue="apply-prod",state="active"} 1');
  expect(body).toContain('netpol_queue_jobs{queue="apply-prod",state="failed"} 0');
  expect(body).not.toContain('apply-down');
});

test('/readyz says why it is not ready, /healthz answers, a failed render is 500, nothing else served', async () => {
  let ready = false;
  const get = await start({
    metrics: { contentType: 'text/plain', render: () => Promise.reject(new Error('boom')) },
    readiness: () => (ready ? { ready: true } : { ready: false, reason: 'informers not synced' }),
  });
  const notReady = await get('/readyz');
  expect([notReady.status, await notReady.text()]).toEqual([503, 'not ready: informers not synced\n']);
  ready = true;
  expect((await get('/readyz')).status).toBe(200);
  expect((await get('/healthz')).status).toBe(200);
  expect((await get('/metrics')).status).toBe(500);
  expect((await get('/slack/events')).status).toBe(404);
  expect((await get('/metrics', 'POST')).status).toBe(405);
});

test('without a readiness check it is ready, and without metrics /metrics is not served', async () => {
  const get = await start({});
  expect((await get('/readyz')).status).toBe(200);
  expect((await get('/metrics')).status).toBe(404);
});
