/**
 * Heartbeats: what each policy worker and node agent publishes to Redis every few seconds, so the bot
 * and `netpol status` can tell a silent component from a quiet one (issue 11). One key per component
 * (`heartbeatKey`), holding the JSON of its last Heartbeat and expiring after HEARTBEAT_RETENTION_MS,
 * so a stopped component is still reported ("last seen 4 min ago") for that long and then forgotten;
 * an index (`heartbeatIndexKey`, a sorted set scored by each key's expiry) lists them without SCAN.
 * Changing this shape is changing a wire format: add optional fields, bump `v` for anything else.
 *
 * A component is silent once SILENT_AFTER_BEATS of its own intervals pass without a beat: the reader
 * needs no configuration of its own to agree with the publisher.
 */

export const HEARTBEAT_VERSION = 1 as const;

/** How long a heartbeat is kept after it was written: how long a stopped component stays listed. */
export const HEARTBEAT_RETENTION_MS = 60 * 60 * 1000;

/** Beats a component may miss before it counts as silent. */
export const SILENT_AFTER_BEATS = 3;

/** The default publishing interval of workers and agents. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;

export type HeartbeatKind = 'worker' | 'agent';

export interface Heartbeat {
  v: typeof HEARTBEAT_VERSION;
  kind: HeartbeatKind;
  /** Who: a worker's `host:pid`, an agent's node name. Unique within its cluster and kind. */
  id: string;
  /** netpol's version (package.json) of the publishing process. */
  version: string;
  cluster: string;
  /** The host (worker) or Kubernetes node (agent) it runs on. */
  node: string;
  /** When this beat was published (ISO 8601, the publisher's clock). */
  at: string;
  /** The publisher's period: the reader calls it silent after SILENT_AFTER_BEATS of them. */
  intervalMs: number;
  /**
   * Worker: its cluster snapshot is written and its informers are watching. Agent: its eBPF maps hold
   * the cluster's current answer (its /readyz).
   */
  inSync: boolean;
  /** Since when `inSync` has had its current value (ISO 8601). */
  since: string;
  /** The last time it was in sync (ISO 8601); absent if never. */
  lastSync?: string;
  /** Why it is not in sync, when it knows. */
  reason?: string;
  /** Worker: apply jobs waiting or running on its cluster's queue. Agent: drop events not yet sent. */
  queueDepth: number;
  /** Set on the last beat of a component that stopped on purpose (ISO 8601). */
  stoppedAt?: string;
}

export function heartbeatKey(prefix: string, beat: Pick<Heartbeat, 'cluster' | 'kind' | 'id'>): string {
  return `${prefix}:heartbeat:${beat.cluster}:${beat.kind}:${beat.id}`;
}

/** The sorted set of heartbeat keys, each scored by when it expires (ms since the epoch). */
export function heartbeatIndexKey(prefix: string): string {
  return `${prefix}:heartbeats`;
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** A stored heartbeat's JSON back into a Heartbeat; null if it is not one (wrong version, bad shape). */
export function parseHeartbeat(text: string): Heartbeat | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  const beat = value as Partial<Heartbeat>;
  const ok =
    beat.v === HEARTBEAT_VERSION &&
    (beat.kind === 'worker' || beat.kind === 'agent') &&
    [beat.id, beat.version, beat.cluster, beat.node, beat.at, beat.since].every(isString) &&
    typeof beat.intervalMs === 'number' &&
    typeof beat.inSync === 'boolean' &&
    typeof beat.queueDepth === 'number';
  return ok ? (beat as Heartbeat) : null;
}

/** True when `beat`'s publisher has missed SILENT_AFTER_BEATS beats at `now`, or said it stopped. */
export function isSilent(beat: Heartbeat, now: Date): boolean {
  if (beat.stoppedAt !== undefined) return true;
  return now.getTime() - Date.parse(beat.at) > SILENT_AFTER_BEATS * beat.intervalMs;
}

/** What the bot needs to say about a cluster's workers and the freshness of its snapshot. */
export interface ClusterLiveness {
  cluster: string;
  /** A worker has beaten recently enough (not silent). */
  workerAlive: boolean;
  /** The freshest worker heartbeat within retention, alive or not. */
  lastWorker?: Pick<Heartbeat, 'id' | 'at' | 'stoppedAt'>;
  /**
   * Until when the snapshot the bot reads is known to match the cluster: the latest beat of a worker
   * that was in sync, else the snapshot's own write time; absent if neither is known.
   */
  snapshotAsOf?: string;
}

function latest<T extends { at: string }>(items: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const item of items) if (best === undefined || item.at > best.at) best = item;
  return best;
}

/** The liveness of `cluster` from the heartbeats read (any clusters) and its snapshot's write time. */
export function clusterLiveness(
  cluster: string,
  beats: readonly Heartbeat[],
  snapshotUpdatedAt: string | undefined,
  now: Date,
): ClusterLiveness {
  const workers = beats.filter((b) => b.cluster === cluster && b.kind === 'worker');
  const alive = workers.filter((b) => !isSilent(b, now));
  const last = latest(workers);
  const synced = latest(workers.filter((b) => b.inSync && b.stoppedAt === undefined));
  const asOf = [synced?.at, snapshotUpdatedAt].filter(isString).sort().at(-1);
  return {
    cluster,
    workerAlive: alive.length > 0,
    ...(last === undefined
      ? {}
      : {
          lastWorker: {
            id: last.id,
            at: last.at,
            ...(last.stoppedAt === undefined ? {} : { stoppedAt: last.stoppedAt }),
          },
        }),
    ...(asOf === undefined ? {} : { snapshotAsOf: asOf }),
  };
}
