/**
 * What a drop event is aggregated by (issue 10): the source and destination workloads, the port,
 * the protocol and the direction, within a window. Pure: events in, groups out.
 * A pod's workload (its name and the selector Request allow uses) is core/k8s/workload.ts's, shared
 * with the agent's observed flows.
 */
import { createHash } from 'node:crypto';
import type { DropEvent, DropEventPod } from '../../contracts/drop-events';
import type {
  AlertBatchEntry,
  AlertBatchGroup,
  AlertGroup,
  AlertPeer,
  AlertSample,
} from '../../adapters/redis/alert-store';
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

/** A raw key for events that are certainly one group with one sample (cheaper than groupOf). */
function rawKeyOf(event: DropEvent, windowStart: number): string {
  const { pod, peer } = event;
  return `${windowStart}|${event.cluster}|${event.direction}|${pod === null ? '' : `${pod.namespace}/${pod.name}`}|${
    peer === null ? '' : `${peer.namespace}/${peer.name}`
  }|${event.source}|${event.destination}|${event.peerAddress}|${event.destinationPort}|${event.protocol}|${event.reason}`;
}

/**
 * A batch of stream entries as the groups it adds to, and what each entry adds to which group.
 * An entry whose events cannot be read (not DropEvents) belongs to no group: `unreadable` lists
 * it, to be acknowledged and dropped; an event with a bad time is left out of its entry
 * (`badEvents` counts them), and an entry left with nothing is unreadable.
 *
 * Events of one pod pair, addresses, port, protocol and reason are one group: the workload names
 * are worked out once per such key and batch (a pod relabelled within one batch keeps the
 * workload its first event gave it, for that batch).
 */
export function aggregateBatch(
  entries: readonly { entryId: string; events: readonly DropEvent[] | null }[],
  windowMs: number,
): { groups: AlertBatchGroup[]; entries: AlertBatchEntry[]; unreadable: string[]; badEvents: number } {
  // Keyed by identity and window: a batch of a storm is a few groups, hashed once each.
  const groups: AlertBatchGroup[] = [];
  const byIdentity = new Map<string, number>();
  const byRawKey = new Map<string, number>();
  const out: AlertBatchEntry[] = [];
  const unreadable: string[] = [];
  let badEvents = 0;
  // Events of a storm share their instants (an agent stamps a burst with one clock reading).
  let lastAtText = '';
  let lastAt = NaN;
  for (const { entryId, events } of entries) {
    if (events === null) {
      unreadable.push(entryId);
      continue;
    }
    // Per group of this entry: index into parts (entries of a batching agent mix groups).
    const partOf = new Map<number | string, AlertBatchEntry['parts'][number]>();
    const parts: AlertBatchEntry['parts'] = [];
    for (const event of events) {
      if (event.at !== lastAtText) {
        lastAtText = event.at;
        lastAt = typeof event.at === 'string' ? Date.parse(event.at) : NaN;
      }
      const at = lastAt;
      if (Number.isNaN(at)) {
        badEvents++;
        continue;
      }
      const window = windowOf(at, windowMs);
      const rawKey = rawKeyOf(event, window.start);
      let index = byRawKey.get(rawKey);
      if (index === undefined) {
        const { group, sample } = groupOf(event);
        const identity = `${window.start}|${identityOf(group)}`;
        index = byIdentity.get(identity);
        if (index === undefined) {
          index = groups.length;
          groups.push({
            id: hashed(identityOf(group), window.start),
            group,
            sample,
            windowStart: window.start,
            windowEnd: window.end,
          });
          byIdentity.set(identity, index);
        }
        byRawKey.set(rawKey, index);
      }
      const suppressed = Number.isInteger(event.suppressed) && event.suppressed > 0 ? event.suppressed : 0;
      // An entry is one agent's: its parts are per group, with a string key only for a second node.
      let part = partOf.get(index);
      if (part !== undefined && part.node !== event.node) part = partOf.get(`${index}|${event.node}`);
      if (part === undefined) {
        part = { group: index, drops: 0, node: event.node, firstAt: event.at, lastAt: event.at };
        partOf.set(partOf.has(index) ? `${index}|${event.node}` : index, part);
        parts.push(part);
      }
      part.drops += 1 + suppressed;
      if (event.at < part.firstAt) part.firstAt = event.at;
      else if (event.at > part.lastAt) part.lastAt = event.at;
    }
    if (parts.length === 0) unreadable.push(entryId);
    else out.push({ entryId, parts });
  }
  return { groups, entries: out, unreadable, badEvents };
}
