/**
 * What the bot knows of each cluster without holding its credentials: a snapshot of the cluster
 * state that the cluster's workers keep current in Redis (issue 3: the bot reads through the
 * workers, never with credentials of its own).
 *
 * A snapshot is written with its version (a small key beside it) in one transaction. A reader keeps
 * the last snapshot it parsed per cluster and fetches the big value again only when the version
 * moved: every slash command reads the cluster, and a large cluster's JSON is costly to parse.
 */
import type Redis from 'ioredis';
import type { ClusterState } from '../../core/state/cluster-state';

export interface ClusterSnapshot {
  cluster: string;
  state: ClusterState;
  /** ISO-8601 of the last write by a worker. */
  updatedAt: string;
}

export function snapshotKey(prefix: string, cluster: string): string {
  return `${prefix}:cluster:${cluster}:state`;
}

export function snapshotVersionKey(prefix: string, cluster: string): string {
  return `${prefix}:cluster:${cluster}:version`;
}

export class ClusterCache {
  private readonly parsed = new Map<string, { version: string; snapshot: ClusterSnapshot }>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async read(cluster: string): Promise<ClusterSnapshot | undefined> {
    const version = await this.redis.get(snapshotVersionKey(this.prefix, cluster));
    if (version === null) return undefined;
    const cached = this.parsed.get(cluster);
    if (cached?.version === version) return cached.snapshot;
    // Read both together: a write between two separate reads would pair a version with another state.
    const [[, text], [, current]] = (await this.redis
      .multi()
      .get(snapshotKey(this.prefix, cluster))
      .get(snapshotVersionKey(this.prefix, cluster))
      .exec()) as [[null, string | null], [null, string | null]];
    if (text === null || current === null) return undefined;
    const snapshot = JSON.parse(text) as ClusterSnapshot;
    this.parsed.set(cluster, { version: current, snapshot });
    return snapshot;
  }

  async write(snapshot: ClusterSnapshot): Promise<void> {
    await this.redis
      .multi()
      .set(snapshotKey(this.prefix, snapshot.cluster), JSON.stringify(snapshot))
      .incr(snapshotVersionKey(this.prefix, snapshot.cluster))
      .exec();
  }
}
