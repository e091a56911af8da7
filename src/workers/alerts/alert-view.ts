/**
 * A drop alert as people read it (issue 10): which channel it goes to, the names of its ends (an
 * outside address with the nearest name the cluster knows for it), and which policies isolate the
 * side that dropped it and why no rule matched, in the evaluator's own words over the cluster
 * snapshot the workers keep. Pure: the record, the snapshot and the routing in; the message out.
 */
import type { AlertGroup, AlertPeer, AlertRecord } from '../../adapters/redis/alert-store';
import { renderAlert, type AlertInput } from '../../adapters/slack/render/alert';
import type { SlackMessage } from '../../adapters/slack/render';
import {
  buildPolicyIndex,
  evaluateConnection,
  type PolicyIndex,
  type TrafficEndpoint,
} from '../../core/evaluator';
import { ipInCidr, ipProblem } from '../../core/k8s/cidr';
import type { Protocol } from '../../core/k8s/types';
import type { ClusterState } from '../../core/state/cluster-state';
import type { AlertsConfig } from '../../platform/config/config';
import { peerText, portText, workloadOf } from './drop-groups';

/** The namespace whose channel an alert goes to: the side whose policy dropped the packet. */
export function routedNamespace(group: AlertGroup): string | undefined {
  const local = group.direction === 'ingress' ? group.destination : group.source;
  return local.kind === 'workload' ? local.namespace : undefined;
}

export function channelFor(
  alerts: Pick<AlertsConfig, 'defaultChannel' | 'channels'>,
  group: AlertGroup,
): string {
  const namespace = routedNamespace(group);
  return namespace !== undefined && Object.prototype.hasOwnProperty.call(alerts.channels, namespace)
    ? alerts.channels[namespace]!
    : alerts.defaultChannel;
}

/**
 * The nearest name the cluster knows for an address no pod of the agent held: a pod of the snapshot
 * with that address, else the narrowest ipBlock of a policy that contains it.
 */
export function nearestName(state: ClusterState | undefined, address: string): string | undefined {
  if (state === undefined || ipProblem(address) !== undefined) return undefined;
  const pod = state.pods.find((p) => p.ip === address && !p.hostNetwork);
  if (pod !== undefined) return peerText(workloadOf(pod));
  let best: { cidr: string; bits: number; policy: string } | undefined;
  for (const policy of state.policies) {
    const rules = [
      ...(policy.spec.ingress ?? []).map((r) => r.from),
      ...(policy.spec.egress ?? []).map((r) => r.to),
    ];
    for (const peers of rules) {
      for (const peer of peers ?? []) {
        const cidr = peer.ipBlock?.cidr;
        if (cidr === undefined || !ipInCidr(address, cidr)) continue;
        const bits = Number(cidr.split('/')[1] ?? '0');
        if (best === undefined || bits > best.bits)
          best = { cidr, bits, policy: `${policy.metadata.namespace}/${policy.metadata.name}` };
      }
    }
  }
  return best === undefined ? undefined : `in ${best.cidr} of ${best.policy}`;
}

function endText(peer: AlertPeer, state: ClusterState | undefined): string {
  if (peer.kind === 'workload') return peerText(peer);
  const near = nearestName(state, peer.address);
  return near === undefined ? peer.address : `${peer.address} (${near})`;
}

const PROTOCOLS: Record<number, Protocol> = { 6: 'TCP', 17: 'UDP', 132: 'SCTP' };

/** Which policies isolate the side that dropped it (named as in its namespace), and why nothing allowed it. */
export function explainDrop(
  record: AlertRecord,
  state: ClusterState | undefined,
  index: PolicyIndex | undefined,
): { blockedBy: string[]; reason: string } {
  const { group, sample } = record;
  if (state === undefined || index === undefined)
    return { blockedBy: [], reason: 'no cluster snapshot yet: the policies could not be read' };
  const protocol = PROTOCOLS[group.protocol];
  if (protocol === undefined) {
    return {
      blockedBy: [],
      reason: `${portText(group)} traffic: NetworkPolicy admits only TCP, UDP and SCTP, so an isolated pod drops it`,
    };
  }
  const endpoint = (pod: { namespace: string; name: string } | undefined, ip: string): TrafficEndpoint => {
    const known =
      pod === undefined
        ? undefined
        : state.pods.find((p) => p.namespace === pod.namespace && p.name === pod.name);
    return known !== undefined ? { kind: 'pod', pod: known } : { kind: 'ip', ip };
  };
  try {
    const verdict = evaluateConnection(
      index,
      endpoint(sample.sourcePod, sample.source),
      endpoint(sample.destinationPod, sample.destination),
      group.port,
      protocol,
    );
    const side = group.direction === 'ingress' ? verdict.ingress : verdict.egress;
    const namespace = routedNamespace(group);
    const blockedBy = side.isolatingPolicies.map((p) =>
      namespace !== undefined && p.startsWith(`${namespace}/`) ? p.slice(namespace.length + 1) : p,
    );
    if (side.allowed)
      return {
        blockedBy: [],
        reason: `the policies allow it now (${side.reason}): they changed since, or the pods did`,
      };
    return { blockedBy, reason: side.reason };
  } catch (error) {
    return { blockedBy: [], reason: `the evaluator could not place this flow: ${(error as Error).message}` };
  }
}

/** One PolicyIndex per snapshot object (the cluster cache hands back the same object until it changes). */
export function indexCache(): (state: ClusterState) => PolicyIndex {
  const cache = new WeakMap<ClusterState, PolicyIndex>();
  return (state) => {
    let index = cache.get(state);
    if (index === undefined) {
      index = buildPolicyIndex(state);
      cache.set(state, index);
    }
    return index;
  };
}

export interface AlertViewInput {
  record: AlertRecord;
  state: ClusterState | undefined;
  index: PolicyIndex | undefined;
  windowMs: number;
  /** The Request allow button's value; none when the flow has no pod of ours to allow it for. */
  requestAllow?: string;
}

export function alertInput({ record, state, index, windowMs, requestAllow }: AlertViewInput): AlertInput {
  const { blockedBy, reason } = explainDrop(record, state, index);
  return {
    cluster: record.group.cluster,
    source: endText(record.group.source, state),
    destination: endText(record.group.destination, state),
    port: portText(record.group),
    direction: record.group.direction,
    count: record.count,
    windowMs,
    windowStart: new Date(record.windowStart).toISOString(),
    windowEnd: new Date(record.windowEnd).toISOString(),
    nodes: record.nodes,
    blockedBy,
    reason,
    dataplaneReason: record.sample.reason,
    ...(requestAllow === undefined ? {} : { requestAllow }),
  };
}

export function alertMessage(input: AlertViewInput): SlackMessage {
  return renderAlert(alertInput(input));
}
