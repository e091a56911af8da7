/**
 * The policy worker's heartbeat (contracts/heartbeat.ts): in sync once its cluster snapshot is
 * written (every informer listed; the snapshot the bot reads is then this worker's), and the depth
 * of its cluster's apply queue (jobs waiting, delayed for a retry, or running).
 */
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { HeartbeatPublisher } from '../adapters/redis/heartbeat-publisher';
import { HeartbeatStore } from '../adapters/redis/heartbeat-store';
import { netpolVersion } from '../platform/version';
import type { ClusterSync } from './cluster-sync';

export interface WorkerHeartbeatOptions {
  redis: Redis;
  prefix: string;
  cluster: string;
  applyQueue: Pick<Queue, 'getJobCounts'>;
  /** Undefined for a replica that does not write the snapshot. */
  sync: Pick<ClusterSync, 'lastSnapshot'> | undefined;
  intervalMs?: number;
  clock?: () => Date;
  log: Logger;
}

export function workerHeartbeat(options: WorkerHeartbeatOptions): HeartbeatPublisher {
  return new HeartbeatPublisher({
    store: new HeartbeatStore(options.redis, { prefix: options.prefix }),
    kind: 'worker',
    cluster: options.cluster,
    version: netpolVersion(),
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    log: options.log,
    async sample() {
      const counts = await options.applyQueue.getJobCounts('waiting', 'delayed', 'prioritized', 'active');
      const queueDepth = Object.values(counts).reduce((sum, n) => sum + n, 0);
      if (options.sync === undefined)
        return { inSync: false, reason: 'this replica does not sync the cluster', queueDepth };
      const synced = options.sync.lastSnapshot() !== undefined;
      return synced
        ? { inSync: true, queueDepth }
        : { inSync: false, reason: 'cluster not listed yet', queueDepth };
    },
  });
}
