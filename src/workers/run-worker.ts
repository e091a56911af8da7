/**
 * Wires one cluster's policy worker from its validated WorkerConfig: a Redis connection, the request
 * store, the BullMQ Worker on applyQueueName(cluster) running the apply processor, the cluster sync
 * that keeps the bot's ClusterCache snapshot current, the reconciler that re-enqueues lost approvals,
 * and `notify`, which only enqueues on SLACK_OUTBOUND_QUEUE through a SlackOutbox (the bot posts;
 * workers hold no Slack token). Reads no environment: main.ts does, once.
 *
 * A worker killed mid-job stops renewing its job's lock; after `lockDurationMs` the job counts as
 * stalled, and the next stalled check (every `stalledIntervalMs`, by any worker of the cluster, the
 * restarted one included) puts it back in the queue. Re-running it is safe: the processor re-enters
 * `applying` and server-side apply of the same objects changes nothing. After `maxStalledCount`
 * stalls BullMQ fails the job without running it; the reconciler puts it back.
 *
 * Audit mode (issue 10): the apply processor schedules a request's audit report on
 * auditReportQueueName(cluster), a delayed job kept in Redis, so a worker restarted between the
 * apply and the due time (or another replica) still runs it, once; this worker runs those reports.
 *
 * Several replicas per cluster may run: BullMQ gives each job to one of them, and every request state
 * change is a guarded transition. Each replica runs its own cluster sync; they write the same snapshot.
 */
import { createHash } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { KubeConfig } from '@kubernetes/client-node';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { ClusterCache } from '../adapters/redis/cluster-cache';
import type { WorkerConfig } from '../platform/config/config';
import {
  applyQueueName,
  auditReportQueueName,
  type ApplyJob,
  type AuditReportJob,
  type SlackOutboundJob,
} from '../contracts/queues';
import { FlowStore } from '../adapters/redis/flow-store';
import { HeartbeatStore } from '../adapters/redis/heartbeat-store';
import { createAuditReportProcessor } from './audit/audit-report';
import { createAuditReportScheduler } from './audit/schedule-audit-report';
import { RequestStore } from '../adapters/redis/request-store';
// The module itself, not the outbound index: a worker only enqueues, so it loads no Slack SDK.
import { SlackOutbox } from '../adapters/slack/outbound/slack-outbox';
import { createApplyProcessor } from './apply-processor';
import { ClusterSync } from './cluster-sync';
import { ClientNodePolicyApi, loadKubeConfig, type PolicyApi } from '../adapters/kube/kube-client';
import { Reconciler } from './reconciler';
import { startAlertWorker, type AlertWorker, type AlertWorkerTiming } from './alerts/alert-worker';
import { startMetricsServer } from '../platform/metrics-server';
import { WorkerMetrics } from './metrics';
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../contracts/heartbeat';
import { workerHeartbeat } from './heartbeat';

export interface PolicyWorkerTiming {
  /** How long a job's lock lasts without renewal (renewed every half of it while the worker lives). */
  lockDurationMs: number;
  /** How often stalled jobs are looked for. */
  stalledIntervalMs: number;
  /** Stalls after which BullMQ gives a job up (the reconciler then puts it back). */
  maxStalledCount: number;
  reconcileIntervalMs: number;
  syncDebounceMs: number;
  syncBackoff: { initialMs: number; maxMs: number };
  /** How often the worker's heartbeat is published (contracts/heartbeat.ts). */
  heartbeatIntervalMs: number;
}

export const DEFAULT_TIMING: Readonly<PolicyWorkerTiming> = Object.freeze({
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  maxStalledCount: 2,
  reconcileIntervalMs: 60_000,
  syncDebounceMs: 50,
  syncBackoff: { initialMs: 500, maxMs: 30_000 },
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
});

export interface PolicyWorkerDeps {
  log: Logger;
  /** Default: loadKubeConfig(config.kubeconfig). */
  kubeConfig?: KubeConfig;
  /** Default: client-node over the kubeconfig (tests wrap it to hold a call). */
  policies?: PolicyApi;
  clock?: () => Date;
  timing?: Partial<PolicyWorkerTiming>;
  /** Default true; a worker without the snapshot writer (e.g. a second replica) may turn it off. */
  syncCluster?: boolean;
  /** Node.js process metrics on /metrics too (default true; tests turn it off). */
  processMetrics?: boolean;
  /** The alert worker's timing (it runs when config.alerts is set). */
  alertTiming?: Partial<AlertWorkerTiming>;
}

export interface PolicyWorker {
  readonly worker: Worker<ApplyJob>;
  readonly sync: ClusterSync | undefined;
  readonly reconciler: Reconciler;
  /** Runs audit reports when they are due (issue 10). */
  readonly auditReports: Worker<AuditReportJob>;
  /** The drop alert worker (issue 10), when NETPOL_ALERT_CHANNEL is set. */
  readonly alerts: AlertWorker | undefined;
  /** Where /metrics listens (when config.metrics is set). */
  readonly metricsPort?: number;
  /**
   * Stops taking jobs and closes everything. `force` does not wait for jobs in progress (they stall
   * and are re-run elsewhere), as when the process is killed.
   */
  close(options?: { force?: boolean }): Promise<void>;
}

/** Outcome messages are deduplicated by content: a re-run never posts the same words twice. */
function outboundJobId(job: SlackOutboundJob): string {
  return `worker-${createHash('sha256').update(JSON.stringify(job)).digest('hex').slice(0, 40)}`;
}

export async function startPolicyWorker(config: WorkerConfig, deps: PolicyWorkerDeps): Promise<PolicyWorker> {
  const timing: PolicyWorkerTiming = { ...DEFAULT_TIMING, ...deps.timing };
  const clock = deps.clock ?? (() => new Date());
  const log = deps.log.child({ cluster: config.cluster });
  const kubeConfig = deps.kubeConfig ?? loadKubeConfig(config.kubeconfig);

  // BullMQ needs maxRetriesPerRequest: null on connections it blocks on; the store shares it.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', (error: Error) => log.warn({ err: error }, 'redis connection error'));
  const connection: ConnectionOptions = redis;
  const store = new RequestStore(redis, { prefix: config.prefix });

  const outbox = new SlackOutbox({ connection, prefix: config.prefix, log });
  const notify = async (job: SlackOutboundJob): Promise<void> => {
    await outbox.send(job, { jobId: outboundJobId(job) });
  };

  const applyQueue = new Queue<ApplyJob>(applyQueueName(config.cluster), {
    connection,
    prefix: config.prefix,
  });
  applyQueue.on('error', (error: Error) => log.warn({ err: error }, 'apply queue error'));
  const metrics = new WorkerMetrics({
    cluster: config.cluster,
    queue: applyQueue,
    log,
    ...(deps.processMetrics === undefined ? {} : { processMetrics: deps.processMetrics }),
  });
  const policies = metrics.observePolicies(deps.policies ?? new ClientNodePolicyApi(kubeConfig));

  const auditQueue = new Queue<AuditReportJob>(auditReportQueueName(config.cluster), {
    connection,
    prefix: config.prefix,
  });
  auditQueue.on('error', (error: Error) => log.warn({ err: error }, 'audit report queue error'));

  // Read only: the agents write flows with their own retention; expired flows are gone anyway.
  const flows = new FlowStore(redis, config.prefix);
  const processor = createApplyProcessor({
    store: metrics.observeStore(store),
    policies,
    notify,
    cluster: config.cluster,
    fieldManager: config.fieldManager,
    clock,
    log: log.child({ component: 'apply' }),
    scheduleAuditReport: createAuditReportScheduler({ store, flows, queue: auditQueue, clock }),
  });
  const worker = new Worker<ApplyJob>(applyQueueName(config.cluster), processor, {
    connection,
    prefix: config.prefix,
    concurrency: config.concurrency,
    lockDuration: timing.lockDurationMs,
    stalledInterval: timing.stalledIntervalMs,
    maxStalledCount: timing.maxStalledCount,
  });
  worker.on('error', (error: Error) => log.error({ err: error }, 'apply worker error'));
  worker.on('failed', (job, error) =>
    log.warn({ jobId: job?.id, err: error, attemptsMade: job?.attemptsMade }, 'apply job failed'),
  );

  const auditReports = new Worker<AuditReportJob>(
    auditReportQueueName(config.cluster),
    createAuditReportProcessor({
      store,
      flows,
      heartbeats: new HeartbeatStore(redis, { prefix: config.prefix }),
      policies,
      send: (job, options) => outbox.send(job, options),
      cluster: config.cluster,
      clock,
      log: log.child({ component: 'audit-report' }),
    }),
    {
      connection,
      prefix: config.prefix,
      concurrency: 1,
      lockDuration: timing.lockDurationMs,
      stalledInterval: timing.stalledIntervalMs,
      maxStalledCount: timing.maxStalledCount,
    },
  );
  auditReports.on('error', (error: Error) => log.error({ err: error }, 'audit report worker error'));
  auditReports.on('failed', (job, error) =>
    log.warn({ jobId: job?.id, err: error, attemptsMade: job?.attemptsMade }, 'audit report job failed'),
  );

  const sync =
    deps.syncCluster === false
      ? undefined
      : new ClusterSync({
          cluster: config.cluster,
          kubeConfig,
          cache: new ClusterCache(redis, config.prefix),
          clock,
          log: log.child({ component: 'cluster-sync' }),
          debounceMs: timing.syncDebounceMs,
          backoff: timing.syncBackoff,
          onApiError: metrics.informerError,
        });
  sync?.start();

  const reconciler = new Reconciler({
    store,
    queue: applyQueue,
    cluster: config.cluster,
    intervalMs: timing.reconcileIntervalMs,
    log: log.child({ component: 'reconciler' }),
  });
  reconciler.start();

  const heartbeat = workerHeartbeat({
    redis,
    prefix: config.prefix,
    cluster: config.cluster,
    applyQueue,
    sync,
    intervalMs: timing.heartbeatIntervalMs,
    clock,
    log: log.child({ component: 'heartbeat' }),
  });

  const alerts =
    config.alerts === undefined
      ? undefined
      : await startAlertWorker(
          {
            cluster: config.cluster,
            redisUrl: config.redisUrl,
            prefix: config.prefix,
            alerts: config.alerts,
          },
          { log, clock, ...(deps.alertTiming === undefined ? {} : { timing: deps.alertTiming }) },
        );

  await worker.waitUntilReady();
  await auditReports.waitUntilReady();
  const metricsServer =
    config.metrics === undefined
      ? undefined
      : await startMetricsServer({ ...config.metrics, metrics: metrics.endpoint });
  heartbeat.start();
  log.info(
    {
      queue: applyQueueName(config.cluster),
      concurrency: config.concurrency,
      metricsPort: metricsServer?.port,
    },
    'policy worker started',
  );

  let closing: Promise<void> | undefined;
  return {
    worker,
    sync,
    reconciler,
    auditReports,
    alerts,
    ...(metricsServer === undefined ? {} : { metricsPort: metricsServer.port }),
    close(options = {}) {
      closing ??= (async () => {
        await metricsServer?.close();
        // Killed (`force`): no last beat, the worker falls silent as a crashed one would.
        if (options.force === true) heartbeat.abandon();
        else await heartbeat.stop();
        // Killed: the alert batch in hand stays pending for another worker to claim.
        if (options.force === true) alerts?.kill();
        await Promise.all([reconciler.stop(), sync?.stop(), alerts?.close()]);
        await Promise.all([worker.close(options.force === true), auditReports.close(options.force === true)]);
        await Promise.all([applyQueue.close(), auditQueue.close(), outbox.close()]);
        await redis.quit().catch(() => redis.disconnect());
        log.info('policy worker stopped');
      })();
      return closing;
    },
  };
}
