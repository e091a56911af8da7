/**
 * The node agent's heartbeat (contracts/heartbeat.ts): its id is its node, in sync when its eBPF maps
 * hold the cluster's current answer (the same test as /readyz, with its reason when not), and its
 * queue depth is the drop events buffered but not yet in the cluster's stream.
 */
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { HeartbeatPublisher } from '../adapters/redis/heartbeat-publisher';
import { HeartbeatStore } from '../adapters/redis/heartbeat-store';
import { netpolVersion } from '../platform/version';
import type { DropEventPublisherStats } from './drop-event-publisher';

export interface AgentHeartbeatOptions {
  redis: Redis;
  prefix: string;
  cluster: string;
  node: string;
  readiness: () => { ready: boolean; reason?: string };
  dropEventStats: () => Pick<DropEventPublisherStats, 'buffered'>;
  intervalMs?: number;
  clock?: () => Date;
  log: Logger;
}

export function agentHeartbeat(options: AgentHeartbeatOptions): HeartbeatPublisher {
  return new HeartbeatPublisher({
    store: new HeartbeatStore(options.redis, { prefix: options.prefix }),
    kind: 'agent',
    cluster: options.cluster,
    id: options.node,
    node: options.node,
    version: netpolVersion(),
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    log: options.log,
    sample() {
      const { ready, reason } = options.readiness();
      const queueDepth = options.dropEventStats().buffered;
      return ready
        ? { inSync: true, queueDepth }
        : { inSync: false, reason: reason ?? 'not ready', queueDepth };
    },
  });
}
