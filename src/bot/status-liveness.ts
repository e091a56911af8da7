/**
 * A cluster's liveness (contracts/heartbeat.ts) from Redis: its workers' heartbeats and its
 * snapshot's write time. Used by the parts of the bot that render outside a command (the approval
 * card at delivery, the waiting-card watch); BotContext.liveness is the same for commands.
 */
import { clusterLiveness, type ClusterLiveness, type Heartbeat } from '../contracts/heartbeat';
import type { ClusterSnapshot } from '../adapters/redis/cluster-cache';

export type LivenessOf = (cluster: string) => Promise<ClusterLiveness>;

export function livenessReader(deps: {
  heartbeats: { list(cluster?: string): Promise<Heartbeat[]> };
  clusters: { read(cluster: string): Promise<ClusterSnapshot | undefined> };
  clock: () => Date;
}): LivenessOf {
  return async (cluster) => {
    const [beats, snapshot] = await Promise.all([deps.heartbeats.list(cluster), deps.clusters.read(cluster)]);
    return clusterLiveness(cluster, beats, snapshot?.updatedAt, deps.clock());
  };
}
