/**
 * What every part of the bot shares per command: the injected dependencies, the clock, which
 * cluster a command means, and that cluster's state as its workers last reported it.
 */
import { NetpolError } from '../core/errors';
import { closest } from '../core/request/suggest';
import type { ClusterState } from '../core/state/cluster-state';
import { clusterLiveness, type ClusterLiveness } from '../contracts/heartbeat';
import type { BotDeps } from './bot-deps';

export interface CommandInput {
  user: string;
  channel: string;
  text: string;
}

export class BotContext {
  constructor(readonly deps: BotDeps) {}

  now(): Date {
    return this.deps.clock();
  }

  /**
   * The cluster a command names (`@prod`), else the default; several clusters and no default: must
   * name one. `typed` (what followed `/netpol`, without a cluster) makes the hint's example.
   */
  cluster(named: string | undefined, typed = 'allow frontend nginx to backend'): string {
    const { clusters } = this.deps.config;
    const cluster = this.namedCluster(named);
    if (cluster !== undefined) return cluster;
    const example = typed.trim().replace(/\s+/g, ' ');
    throw new NetpolError('E_USAGE', `several clusters are configured (${clusters.join(', ')}): name one`, {
      hint: `e.g. /netpol @${clusters[0]} ${example.length > 80 ? `${example.slice(0, 80)}…` : example}`,
    });
  }

  /**
   * The cluster a command names, checked against the configured ones, else the default; undefined
   * when it names none and there is no default (commands that need none: help, pending, a request id).
   */
  namedCluster(named: string | undefined): string | undefined {
    const { clusters, defaultCluster } = this.deps.config;
    if (named === undefined) return defaultCluster === '' ? undefined : defaultCluster;
    if (!clusters.includes(named)) {
      const suggestion = closest(named, clusters);
      throw new NetpolError('E_USAGE', `no cluster "${named}" is configured`, {
        hint: suggestion === undefined ? `clusters: ${clusters.join(', ')}` : `did you mean @${suggestion}?`,
      });
    }
    return named;
  }

  /**
   * Whether the cluster's worker is alive and how current its snapshot is (contracts/heartbeat.ts);
   * undefined when this bot reads no heartbeats. `snapshotUpdatedAt`: the snapshot's, when read.
   */
  async liveness(cluster: string, snapshotUpdatedAt?: string): Promise<ClusterLiveness | undefined> {
    if (this.deps.heartbeats === undefined) return undefined;
    const beats = await this.deps.heartbeats.list(cluster);
    const updatedAt = snapshotUpdatedAt ?? (await this.deps.clusters.read(cluster))?.updatedAt;
    return clusterLiveness(cluster, beats, updatedAt, this.now());
  }

  /** The cluster's snapshot; `required`: refuse when no worker has reported yet. */
  async state(cluster: string, required: true): Promise<ClusterState>;
  async state(cluster: string, required: false): Promise<ClusterState | undefined>;
  async state(cluster: string, required: boolean): Promise<ClusterState | undefined> {
    const snapshot = await this.deps.clusters.read(cluster);
    if (snapshot === undefined && required) {
      throw new NetpolError(
        'E_STATE',
        `no worker of cluster ${cluster} has reported the cluster's state yet`,
        {
          hint: 'start a worker for this cluster (see the README)',
        },
      );
    }
    return snapshot?.state;
  }
}
