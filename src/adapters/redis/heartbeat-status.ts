/**
 * Everything `/netpol status` and `netpol status` report, read from Redis in one pass: Redis itself
 * (answers, latency, version, memory), the shared queues (Slack outbound, request expiry), and per
 * cluster its snapshot, its workers and node agents (their heartbeats), its apply queue, and the drops
 * per minute from its drop stream (per node too). The bot and the CLI both read it through here;
 * rendering is the Slack renderer's (render/status.ts), for Slack and for the terminal.
 *
 * Read-only and best effort per part: a part that fails (a queue, a stream) is reported as unknown,
 * not as a failure of the whole report. When Redis does not answer at all, only that is reported.
 */
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { clusterLiveness, type ClusterLiveness, type Heartbeat } from '../../contracts/heartbeat';
import { dropStreamKey, parseDropEventEntry } from '../../contracts/drop-events';
import { applyQueueName, EXPIRY_QUEUE, SLACK_OUTBOUND_QUEUE } from '../../contracts/queues';
import { ClusterCache, snapshotVersionKey } from './cluster-cache';
import { HeartbeatStore } from './heartbeat-store';

export interface QueueDepth {
  name: string;
  /** Waiting (or prioritized) to run. */
  waiting: number;
  active: number;
  /** Delayed: retries backing off, expiries not due yet. */
  delayed: number;
  /** Failed and kept for the operator. */
  failed: number;
}

export interface RedisHealth {
  ok: boolean;
  /** Round trip of a PING. */
  latencyMs?: number;
  version?: string;
  usedMemory?: string;
  uptimeSeconds?: number;
  error?: string;
}

export interface AgentStatus extends Heartbeat {
  /** Drops this node published in the last minute (with those the kernel suppressed). */
  dropsPerMinute: number;
}

export interface ClusterStatus {
  cluster: string;
  /** Configured in the bot (or only seen in heartbeats). */
  configured: boolean;
  liveness: ClusterLiveness;
  snapshot?: { updatedAt: string; namespaces: number; pods: number; policies: number };
  workers: Heartbeat[];
  agents: AgentStatus[];
  applyQueue?: QueueDepth;
  /** Every drop of the cluster in the last minute (undefined: the stream could not be read). */
  dropsPerMinute?: number;
  /** The minute's count stopped at this many entries (DROP_SCAN_LIMIT). */
  dropsCapped?: boolean;
}

export interface StatusReport {
  /** ISO 8601: when it was read. */
  at: string;
  prefix: string;
  redis: RedisHealth;
  queues: QueueDepth[];
  clusters: ClusterStatus[];
}

/** At most this many drop entries are read for a minute's count. */
export const DROP_SCAN_LIMIT = 10_000;

const MINUTE_MS = 60_000;

export interface ReadStatusOptions {
  redis: Redis;
  prefix: string;
  /** The configured clusters, listed even when nothing of theirs reports (in this order, first). */
  clusters: readonly string[];
  clock?: () => Date;
  /** How long Redis may take to answer a PING before it is reported down (default 2 s). */
  pingTimeoutMs?: number;
}

async function queueDepth(redis: Redis, prefix: string, name: string): Promise<QueueDepth | undefined> {
  const queue = new Queue(name, { connection: redis, prefix });
  try {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
    return {
      name,
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
  } catch {
    return undefined;
  } finally {
    await queue.close().catch(() => undefined);
  }
}

function infoField(info: string, field: string): string | undefined {
  const match = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  return match?.[1]?.trim();
}

async function redisHealth(redis: Redis, timeoutMs: number): Promise<RedisHealth> {
  const started = process.hrtime.bigint();
  let timer: NodeJS.Timeout | undefined;
  try {
    // A connection that queues commands while Redis is away would wait for ever: bound the wait.
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to PING within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
    const info = await redis.info();
    const uptime = infoField(info, 'uptime_in_seconds');
    const version = infoField(info, 'redis_version');
    const usedMemory = infoField(info, 'used_memory_human');
    return {
      ok: true,
      latencyMs: Math.round(latencyMs * 10) / 10,
      ...(version === undefined ? {} : { version }),
      ...(usedMemory === undefined ? {} : { usedMemory }),
      ...(uptime === undefined ? {} : { uptimeSeconds: Number(uptime) }),
    };
  } catch (error) {
    clearTimeout(timer);
    return { ok: false, error: (error as Error).message };
  }
}

/** Drops of the last minute, in all and per node; undefined when the stream cannot be read. */
async function dropsLastMinute(
  redis: Redis,
  prefix: string,
  cluster: string,
  now: Date,
): Promise<{ total: number; perNode: Map<string, number>; capped: boolean } | undefined> {
  try {
    const entries = await redis.xrange(
      dropStreamKey(prefix, cluster),
      String(now.getTime() - MINUTE_MS),
      '+',
      'COUNT',
      DROP_SCAN_LIMIT,
    );
    const perNode = new Map<string, number>();
    let total = 0;
    for (const [, fields] of entries) {
      // An entry may carry many events (a batching agent), each standing for itself and the drops
      // of its flow the kernel suppressed before it; an unreadable entry for at least one drop.
      const events = parseDropEventEntry(fields);
      if (events === null) {
        total += 1;
        continue;
      }
      for (const event of events) {
        const drops = 1 + Math.max(0, event.suppressed);
        total += drops;
        perNode.set(event.node, (perNode.get(event.node) ?? 0) + drops);
      }
    }
    return { total, perNode, capped: entries.length >= DROP_SCAN_LIMIT };
  } catch {
    return undefined;
  }
}

/** The clusters some worker wrote a snapshot of (their version keys), for a reader with no list. */
async function snapshotClusters(redis: Redis, prefix: string): Promise<string[]> {
  const found = new Set<string>();
  const head = snapshotVersionKey(prefix, '');
  const [before, after] = [head.slice(0, head.indexOf('::') + 1), head.slice(head.indexOf('::') + 1)];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      `${globEscape(before)}*${globEscape(after)}`,
      'COUNT',
      500,
    );
    cursor = next;
    for (const key of keys) found.add(key.slice(before.length, key.length - after.length));
  } while (cursor !== '0');
  return [...found];
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

export async function readStatus(options: ReadStatusOptions): Promise<StatusReport> {
  const clock = options.clock ?? (() => new Date());
  const now = clock();
  const { redis, prefix } = options;
  const health = await redisHealth(redis, options.pingTimeoutMs ?? 2000);
  const report: StatusReport = { at: now.toISOString(), prefix, redis: health, queues: [], clusters: [] };
  if (!health.ok) return report;

  const beats = await new HeartbeatStore(redis, { prefix, clock }).list();
  const names = [...options.clusters];
  const seen = [...beats.map((b) => b.cluster), ...(await snapshotClusters(redis, prefix))].sort();
  for (const cluster of seen) if (!names.includes(cluster)) names.push(cluster);
  const cache = new ClusterCache(redis, prefix);

  report.queues = (
    await Promise.all([SLACK_OUTBOUND_QUEUE, EXPIRY_QUEUE].map((name) => queueDepth(redis, prefix, name)))
  ).filter((q): q is QueueDepth => q !== undefined);

  report.clusters = await Promise.all(
    names.map(async (cluster): Promise<ClusterStatus> => {
      const snapshot = await cache.read(cluster).catch(() => undefined);
      const drops = await dropsLastMinute(redis, prefix, cluster, now);
      const applyQueue = await queueDepth(redis, prefix, applyQueueName(cluster));
      const mine = beats.filter((b) => b.cluster === cluster);
      return {
        cluster,
        configured: options.clusters.includes(cluster),
        liveness: clusterLiveness(cluster, beats, snapshot?.updatedAt, now),
        ...(snapshot === undefined
          ? {}
          : {
              snapshot: {
                updatedAt: snapshot.updatedAt,
                namespaces: snapshot.state.namespaces.length,
                pods: snapshot.state.pods.length,
                policies: snapshot.state.policies.length,
              },
            }),
        workers: mine.filter((b) => b.kind === 'worker'),
        agents: mine
          .filter((b) => b.kind === 'agent')
          .map((b) => ({ ...b, dropsPerMinute: drops?.perNode.get(b.node) ?? 0 })),
        ...(applyQueue === undefined ? {} : { applyQueue }),
        ...(drops === undefined ? {} : { dropsPerMinute: drops.total, dropsCapped: drops.capped }),
      };
    }),
  );
  return report;
}
