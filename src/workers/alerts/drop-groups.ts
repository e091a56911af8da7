/**
 * What a drop event is aggregated by (issue 10): the source and destination workloads, the port,
 * the protocol and the direction, within a window. Pure: events in, groups out.
 * A pod's workload (its name and the selector Request allow uses) is core/k8s/workload.ts's, shared
 * with the agent's observed flows.
 */
import { createHash } from 'node:crypto';
import type { DropEvent, DropEventPod } from '../../contracts/drop-events';
import type { AlertBatchGroup, AlertGroup, AlertPeer, AlertSample } from '../../adapters/redis/alert-store';
import { workloadOf } from '../../core/k8s/workload';

export { baseName, workloadOf } from '../../core/k8s/workload';

/** `tcp`, `udp`, `sctp`, `icmp`, or `proto-47`. */
export function protocolName(protocol: number): string {
  return { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' }[protocol] ?? `proto-${protocol}`;
}

/** `tcp/80`; protocols without ports show the protocol alone. */
export function portText(group: Pick<AlertGroup, 'port' | 'protocol'>): string {
  const name = protocolName(group.protocol);
  return [6, 17, 132].includes(group.protocol) ? `${name}/${group.port}` : name;
}

/** `frontend/nginx`, or the address of a peer outside the cluster. */
export function peerText(peer: AlertPeer): string {
  return peer.kind === 'workload' ? `${peer.namespace}/${peer.name}` : peer.address;
}

/** The group of one event, and the pods and addresses behind it. */
export function groupOf(event: DropEvent): { group: AlertGroup; sample: AlertSample } {
  const local: AlertPeer =
    event.pod === null
      ? { kind: 'address', address: event.direction === 'ingress' ? event.destination : event.source }
      : workloadOf(event.pod);
  const remote: AlertPeer =
    event.peer === null ? { kind: 'address', address: event.peerAddress } : workloadOf(event.peer);
  const ingress = event.direction === 'ingress';
  const podRef = (pod: DropEventPod | null) =>
    pod === null ? undefined : { namespace: pod.namespace, name: pod.name };
  const sourcePod = podRef(ingress ? event.peer : event.pod);
  const destinationPod = podRef(ingress ? event.pod : event.peer);
  return {
    group: {
      cluster: event.cluster,
      direction: event.direction,
      source: ingress ? remote : local,
      destination: ingress ? local : remote,
      // ICMP and other port-less protocols: the agent reports 0.
      port: [6, 17, 132].includes(event.protocol) ? event.destinationPort : 0,
      protocol: event.protocol,
    },
    sample: {
      ...(sourcePod === undefined ? {} : { sourcePod }),
      ...(destinationPod === undefined ? {} : { destinationPod }),
      source: event.source,
      destination: event.destination,
      reason: event.reason,
    },
  };
}

/** The window an instant falls in: windows are aligned on multiples of their length since the epoch. */
export function windowOf(atMs: number, windowMs: number): { start: number; end: number } {
  const start = Math.floor(atMs / windowMs) * windowMs;
  return { start, end: start + windowMs };
}

/** What makes two drops one group (before the window). */
function identityOf(group: AlertGroup): string {
  return [
    group.cluster,
    group.direction,
    peerText(group.source),
    peerText(group.destination),
    group.port,
    group.protocol,
  ].join('|');
}

function hashed(identity: string, windowStart: number): string {
  return `${windowStart}-${createHash('sha256').update(identity).digest('hex').slice(0, 20)}`;
}

/** A group's id in its window: stable across workers and restarts (a hash of what it is). */
export function groupId(group: AlertGroup, windowStart: number): string {
  return hashed(identityOf(group), windowStart);
}

/**
 * A batch of stream entries as the groups it adds to. An entry whose event cannot be read (not a
 * DropEvent, a bad time) belongs to no group: `unreadable` lists it, to be acknowledged and dropped.
 */
export function aggregateBatch(
  entries: readonly { entryId: string; event: DropEvent | null }[],
  windowMs: number,
): { groups: AlertBatchGroup[]; unreadable: string[] } {
  // Keyed by identity and window: a batch of a storm is a few groups, hashed once each.
  const groups = new Map<string, AlertBatchGroup>();
  const unreadable: string[] = [];
  for (const { entryId, event } of entries) {
    const at = event === null ? NaN : Date.parse(event.at);
    if (event === null || Number.isNaN(at)) {
      unreadable.push(entryId);
      continue;
    }
    const { group, sample } = groupOf(event);
    const window = windowOf(at, windowMs);
    const identity = `${window.start}|${identityOf(group)}`;
    let batch = groups.get(identity);
    if (batch === undefined) {
      const id = hashed(identityOf(group), window.start);
      batch = { id, group, sample, windowStart: window.start, windowEnd: window.end, entries: [] };
      groups.set(identity, batch);
    }
    const suppressed = Number.isInteger(event.suppressed) && event.suppressed > 0 ? event.suppressed : 0;
    batch.entries.push({ entryId, drops: 1 + suppressed, node: event.node, at: event.at });
  }
  return { groups: [...groups.values()], unreadable };
}
