/**
 * What every netpol process shares for Prometheus (prom-client): a registry of its own, the
 * endpoint that renders it, and the BullMQ queue depths the bot and the workers both report.
 *
 * One Registry per process part, never prom-client's global one: tests run a bot, workers and agents
 * in one process, and each scrape shows only its own series. Values the process cannot count as it
 * goes (queue depths, request counts, snapshot ages) are read on each scrape by a gauge's `collect`;
 * a read that fails is logged and its series left out of that scrape, the rest is still served.
 */
import type { Logger } from 'pino';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** What the /metrics endpoint serves (metrics-server.ts). */
export interface MetricsEndpoint {
  readonly contentType: string;
  render(): Promise<string>;
}

export interface MetricsRegistryOptions {
  /**
   * Node.js process metrics (memory, CPU, event loop lag, GC) too. Default true. prom-client's GC
   * observer cannot be stopped: it lives as long as the process, so tests turn it off.
   */
  readonly processMetrics?: boolean;
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** The registry as the endpoint serves it (Prometheus text format 0.0.4). */
export function metricsEndpoint(registry: Registry, beforeRender?: () => Promise<void>): MetricsEndpoint {
  return {
    contentType: registry.contentType,
    async render() {
      await beforeRender?.();
      return registry.metrics();
    },
  };
}

/**
 * Runs `read` for a scrape; a failure is logged and yields undefined (the gauge then shows nothing
 * rather than a stale or invented value).
 */
export async function readForScrape<T>(
  log: Logger,
  what: string,
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    log.warn({ err, what }, 'metrics read failed: series left out of this scrape');
    return undefined;
  }
}

/** A BullMQ Queue, as far as its depth goes. */
export interface QueueDepthSource {
  readonly name: string;
  getJobCounts(...types: QueueJobState[]): Promise<Record<string, number>>;
}

/** The job states a depth is reported for (BullMQ's names). */
export const QUEUE_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

/**
 * `netpol_queue_jobs{queue, state}`: jobs per queue and state, read from Redis on each scrape.
 * `queues` is asked at each scrape, so a queue opened later (a new cluster) is reported too.
 */
export function registerQueueDepths(
  registry: Registry,
  queues: () => Iterable<QueueDepthSource>,
  log: Logger,
): void {
  new Gauge({
    name: 'netpol_queue_jobs',
    help: 'Jobs in each BullMQ queue by state (waiting, active, delayed, prioritized, failed)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const list = [...queues()];
      const counts = await Promise.all(
        list.map((queue) =>
          readForScrape(log, `queue ${queue.name}`, () => queue.getJobCounts(...QUEUE_JOB_STATES)),
        ),
      );
      // No await from here on: a concurrent scrape sees these values or its own, never a mix.
      this.reset();
      list.forEach((queue, i) => {
        const byState = counts[i];
        if (byState === undefined) return;
        for (const state of QUEUE_JOB_STATES) this.set({ queue: queue.name, state }, byState[state] ?? 0);
      });
    },
  });
}
