/**
 * A drop alert as people read it (issue 10): which channel it goes to, the names of its ends (an
 * outside address with the nearest name the cluster knows for it), and which policies isolate the
 * side that dropped it and why no rule matched, in the evaluator's own words over the cluster
 * snapshot the workers keep. Pure: the record, the snapshot and the routing in; the message out.
 */
import type { AlertGroup, AlertPeer, AlertRecord } from '../../adapters/redis/alert-store';
import { renderAlert, type AlertInput } from '../../adapters/slack/render/alert';
import type { SlackMessage } from '../../adapters/slack/render';
import { formatUtc } from '../../adapters/slack/render/mrkdwn';
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

/**
 * Why a group's drops happened, as far as the snapshot says: `blocked` names the isolating
 * policies; `allowed` means the snapshot's policies let the flow through; `unknown` means there
 * is no snapshot or the evaluator could not place the flow; `portless` is a protocol no policy
 * can admit.
 */
export type DropBlame = 'blocked' | 'allowed' | 'unknown' | 'portless';

export interface DropExplanation {
  blame: DropBlame;
  blockedBy: string[];
  reason: string;
}

/**
 * Which policies isolate the side that dropped it (named as in its namespace), and why nothing
 * allowed it. `staleSince` (ISO) is set when the snapshot was written before the group's last
 * drop: a snapshot that allows the flow then has most likely not seen the change that dropped it
 * yet (the agents' informers can be ahead of the workers'), and is not taken as the truth.
 */
export function explainDrop(
  record: AlertRecord,
  state: ClusterState | undefined,
  index: PolicyIndex | undefined,
  staleSince?: string,
): DropExplanation {
  const { group, sample } = record;
  if (state === undefined || index === undefined)
    return {
      blame: 'unknown',
      blockedBy: [],
      reason: 'no cluster snapshot yet: the policies could not be read',
    };
  const protocol = PROTOCOLS[group.protocol];
  if (protocol === undefined) {
    return {
      blame: 'portless',
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
    if (side.allowed && staleSince !== undefined)
      return {
        blame: 'unknown',
        blockedBy: [],
        reason: `the workers' view of the cluster (from ${staleSince}) is older than the drop and allows it (${side.reason}): the policy that dropped it is named once they have read it`,
      };
    if (side.allowed)
      return {
        blame: 'allowed',
        blockedBy: [],
        reason: `the policies allow it now (${side.reason}): they changed since, or the pods did`,
      };
    return { blame: 'blocked', blockedBy, reason: side.reason };
  } catch (error) {
    return {
      blame: 'unknown',
      blockedBy: [],
      reason: `the evaluator could not place this flow: ${(error as Error).message}`,
    };
  }
}

/** Whether a snapshot written at `updatedAt` (ISO) predates the group's last drop. */
export function snapshotOlderThanDrop(updatedAt: string, record: Pick<AlertRecord, 'lastAt'>): boolean {
  const written = Date.parse(updatedAt);
  const dropped = Date.parse(record.lastAt);
  return Number.isNaN(written) || (!Number.isNaN(dropped) && written < dropped);
}

/**
 * Request allow needs a pod of ours to allow the flow for and a protocol NetworkPolicy admits, and
 * is offered only while the flow is not allowed already (the button comes back if it is blocked
 * again: each message is rendered whole).
 */
export function offersRequestAllow(record: Pick<AlertRecord, 'group'>, blame: DropBlame): boolean {
  const { group } = record;
  return (
    blame !== 'allowed' &&
    (group.source.kind === 'workload' || group.destination.kind === 'workload') &&
    PROTOCOLS[group.protocol] !== undefined
  );
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
  /** When the snapshot was written (ISO): one older than the drop does not clear the flow. */
  snapshotAt?: string;
  /** The Request allow button's value; shown only when offersRequestAllow says so. */
  requestAllow?: string;
}

/** The alert's words and, apart, what the snapshot could say of its blame (the worker re-checks an unknown one). */
export function alertView(input: AlertViewInput): { alert: AlertInput; blame: DropBlame; stale: boolean } {
  const { record, state, index, windowMs, snapshotAt, requestAllow } = input;
  // Without snapshotAt the caller vouches for the snapshot (a pure rendering, a test).
  const stale =
    state === undefined || (snapshotAt !== undefined && snapshotOlderThanDrop(snapshotAt, record));
  const { blame, blockedBy, reason } = explainDrop(
    record,
    state,
    index,
    stale && snapshotAt !== undefined ? formatUtc(snapshotAt) : undefined,
  );
  const button = requestAllow !== undefined && offersRequestAllow(record, blame);
  const alert: AlertInput = {
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
    ...(button ? { requestAllow } : {}),
  };
  return { alert, blame, stale };
}

export function alertInput(input: AlertViewInput): AlertInput {
  return alertView(input).alert;
}

export function alertMessage(input: AlertViewInput): SlackMessage {
  return renderAlert(alertInput(input));
}
