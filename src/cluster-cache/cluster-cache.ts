/**
 * What the bot knows of each cluster without holding its credentials: a snapshot of the cluster
 * state that the cluster's workers keep current in Redis (STYLE.md; issue 3: the bot reads through
 * the workers, never with credentials of its own).
 */
import type Redis from 'ioredis';
import type { ClusterState } from '../state/cluster-state';

export interface ClusterSnapshot {
  cluster: string;
  state: ClusterState;
  /** ISO-8601 of the last write by a worker. */
  updatedAt: string;
}

export function snapshotKey(prefix: string, cluster: string): string {
  return `${prefix}:cluster:${cluster}:state`;
}

export class ClusterCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async read(cluster: string): Promise<ClusterSnapshot | undefined> {
    const text = await this.redis.get(snapshotKey(this.prefix, cluster));
    return text === null ? undefined : (JSON.parse(text) as ClusterSnapshot);
  }

  async write(snapshot: ClusterSnapshot): Promise<void> {
    await this.redis.set(snapshotKey(this.prefix, snapshot.cluster), JSON.stringify(snapshot));
  }
}
