/**
 * The bot's Prometheus metrics, served on its own port (config.metrics; src/platform/metrics-server.ts),
 * not on Bolt's: the Slack endpoint faces the internet, /metrics only the cluster's Prometheus.
 *
 * - `netpol_requests{state}`: requests in each state now, from the request store's state indexes.
 * - `netpol_queue_jobs{queue,state}`: the apply queue of every configured cluster, the expiry queue
 *   and the Slack outbound queue (src/platform/metrics.ts).
 * - `netpol_slack_calls_total{method,outcome}` and `netpol_slack_rate_limited_total`: every Web API
 *   call of the outbound worker (the one path that posts), counted as it ends.
 * - `netpol_cluster_snapshot_age_seconds{cluster}`: how old the snapshot the bot answers from is, per
 *   configured cluster (no series until a worker wrote one). It grows while a cluster is quiet too:
 *   workers write on change.
 *
 * Gauges are read on each scrape; the counters count as calls happen. One registry per BotMetrics.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ClusterCache } from '../adapters/redis/cluster-cache';
import type { RequestStore } from '../adapters/redis/request-store';
import type { SlackCall } from '../adapters/slack/outbound';
import { applyQueueName, EXPIRY_QUEUE, SLACK_OUTBOUND_QUEUE } from '../contracts/queues';
import { REQUEST_STATES } from '../contracts/request-record';
import {
  createMetricsRegistry,
  metricsEndpoint,
  readForScrape,
  registerQueueDepths,
  type MetricsEndpoint,
} from '../platform/metrics';

export interface BotMetricsOptions {
  store: Pick<RequestStore, 'countByState'>;
  clusters: Pick<ClusterCache, 'read'>;
  clusterNames: readonly string[];
  connection: ConnectionOptions;
  prefix: string;
  clock: () => Date;
  log: Logger;
  /** Node.js process metrics too. Default true (tests turn it off: the GC observer outlives them). */
  processMetrics?: boolean;
}

export class BotMetrics {
  readonly registry: Registry;
  readonly endpoint: MetricsEndpoint;
  private readonly queues: Queue[];
  private readonly slackCalls: Counter<'method' | 'outcome'>;
  private readonly rateLimited: Counter;

  constructor(options: BotMetricsOptions) {
    const log = options.log.child({ component: 'metrics' });
    this.registry = createMetricsRegistry({ processMetrics: options.processMetrics ?? true });
    const registers = [this.registry];
    this.endpoint = metricsEndpoint(this.registry);

    new Gauge({
      name: 'netpol_requests',
      help: 'Requests in each state now (pending-approval, approved, applying, applied, rejected, expired, failed)',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const counts = await readForScrape(log, 'requests by state', () =>
          options.store.countByState(REQUEST_STATES),
        );
        this.reset();
        for (const [state, count] of counts ?? []) this.set({ state }, count);
      },
    });

    new Gauge({
      name: 'netpol_cluster_snapshot_age_seconds',
      help: "Age of the cluster snapshot the bot answers from (its worker's last write), per cluster",
      labelNames: ['cluster'] as const,
      registers,
      async collect() {
        const snapshots = await Promise.all(
          options.clusterNames.map((cluster) =>
            readForScrape(log, `snapshot of ${cluster}`, () => options.clusters.read(cluster)),
          ),
        );
        const now = options.clock().getTime();
        this.reset();
        options.clusterNames.forEach((cluster, i) => {
          const updatedAt = snapshots[i]?.updatedAt;
          if (updatedAt === undefined) return;
          this.set({ cluster }, Math.max(0, (now - Date.parse(updatedAt)) / 1000));
        });
      },
    });

    this.slackCalls = new Counter({
      name: 'netpol_slack_calls_total',
      help: 'Slack Web API calls of the outbound queue by method and outcome (ok, rate_limited, refused, unavailable)',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'netpol_slack_rate_limited_total',
      help: 'Slack calls answered 429 (the outbound queue then pauses for Retry-After)',
      registers,
    });

    const queueOptions = { connection: options.connection, prefix: options.prefix };
    this.queues = [
      ...options.clusterNames.map((cluster) => new Queue(applyQueueName(cluster), queueOptions)),
      new Queue(EXPIRY_QUEUE, queueOptions),
      new Queue(SLACK_OUTBOUND_QUEUE, queueOptions),
    ];
    for (const queue of this.queues) queue.on('error', (err) => log.warn({ err }, 'metrics queue error'));
    registerQueueDepths(this.registry, () => this.queues, log);
  }

  /** The outbound worker's onCall hook. */
  readonly slackCall = (call: SlackCall): void => {
    this.slackCalls.inc({ method: call.method, outcome: call.outcome });
    if (call.outcome === 'rate_limited') this.rateLimited.inc();
  };

  async close(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
  }
}
