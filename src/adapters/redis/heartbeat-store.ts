/**
 * Heartbeats in Redis (contracts/heartbeat.ts): a publisher writes its beat with an expiry and indexes
 * it in one MULTI; a reader drops the index entries whose keys have expired, then reads the rest in
 * one MGET. Several processes publish at once, each under its own key; nothing is read-modify-write.
 */
import type Redis from 'ioredis';
import {
  HEARTBEAT_RETENTION_MS,
  heartbeatIndexKey,
  heartbeatKey,
  parseHeartbeat,
  type Heartbeat,
} from '../../contracts/heartbeat';

export interface HeartbeatStoreOptions {
  prefix: string;
  /** How long a beat is kept (default HEARTBEAT_RETENTION_MS). */
  retentionMs?: number;
  /** For the index's expiry scores (default the wall clock). */
  clock?: () => Date;
}

export class HeartbeatStore {
  private readonly retentionMs: number;
  private readonly clock: () => Date;

  constructor(
    private readonly redis: Redis,
    private readonly options: HeartbeatStoreOptions,
  ) {
    this.retentionMs = options.retentionMs ?? HEARTBEAT_RETENTION_MS;
    this.clock = options.clock ?? (() => new Date());
  }

  async publish(beat: Heartbeat): Promise<void> {
    const key = heartbeatKey(this.options.prefix, beat);
    await this.redis
      .multi()
      .set(key, JSON.stringify(beat), 'PX', this.retentionMs)
      .zadd(heartbeatIndexKey(this.options.prefix), this.clock().getTime() + this.retentionMs, key)
      .exec();
  }

  /** Every kept heartbeat (of one cluster, if given), ordered by cluster, kind and id. */
  async list(cluster?: string): Promise<Heartbeat[]> {
    const index = heartbeatIndexKey(this.options.prefix);
    await this.redis.zremrangebyscore(index, '-inf', this.clock().getTime());
    const keys = await this.redis.zrange(index, 0, -1);
    if (keys.length === 0) return [];
    const texts = await this.redis.mget(...keys);
    const beats: Heartbeat[] = [];
    for (const text of texts) {
      const beat = text === null ? null : parseHeartbeat(text);
      if (beat !== null && (cluster === undefined || beat.cluster === cluster)) beats.push(beat);
    }
    const order = (b: Heartbeat): string => `${b.cluster}\u0000${b.kind}\u0000${b.id}`;
    return beats.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  }
}
