/**
 * One connection's verdict, side by side: does the source's egress allow it, does the
 * destination's ingress allow it, and which rules say so. The rules, from the networking.k8s.io/v1
 * NetworkPolicy reference and the Kubernetes "Network Policies" concept page:
 * - a pod is isolated for a direction iff a policy of its namespace selects it with that direction
 *   in its (effective) policyTypes; a non-isolated side allows everything;
 * - an isolated side allows what any rule of any isolating policy allows (rules are ORed);
 * - a connection needs both the source's egress and the destination's ingress to allow it;
 * - an address outside the cluster, and a hostNetwork pod, have no policies: their side allows;
 * - a pod's traffic to itself is always allowed.
 * Pure: reads the immutable PolicyIndex only.
 */
import { formatIp, type IpAddress, ipProblem, parseIp } from '../k8s/cidr';
import { portNumberProblem } from '../k8s/names';
import { PROTOCOLS, type Protocol } from '../k8s/types';
import { NetpolError } from '../errors';
import { podKey } from '../state/cluster-state';
import { ipBlockContains } from './peer-resolver';
import type { IndexedPeers, PolicyIndex } from './policy-index';
import { formatPort, portsMatch } from './ports';
import {
  allowedReason,
  connectionSummary,
  deniedReason,
  notAppliedReason,
  notIsolatedReason,
  selfReason,
} from './reasons';
import type { ConnectionVerdict, Direction, RuleRef, SideVerdict, TrafficEndpoint } from './verdict';

/** An endpoint as the index knows it: a pod number, or only an address. */
export interface ResolvedEndpoint {
  label: string;
  pod: number | undefined;
  ip: IpAddress | undefined;
  hostNetwork: boolean;
}

/** The pod (not hostNetwork) that holds `ip`, or the address itself. */
export function endpointForIp(index: PolicyIndex, ip: string): TrafficEndpoint {
  const n = index.podByIp.get(formatIp(parseIpOrThrow(ip)));
  return n === undefined ? { kind: 'ip', ip } : { kind: 'pod', pod: index.pods[n]! };
}

/**
 * A pod endpoint must be a pod of the index. An address held by a (non-hostNetwork) pod is that
 * pod, so callers need not call endpointForIp first.
 */
export function resolveEndpoint(index: PolicyIndex, endpoint: TrafficEndpoint): ResolvedEndpoint {
  if (endpoint.kind === 'pod') {
    const key = podKey(endpoint.pod);
    const n = index.podNumber.get(key);
    if (n === undefined) {
      throw new NetpolError('E_UNKNOWN_ENDPOINT', `pod ${key} is not in the cluster state`);
    }
    return podEndpoint(index, n);
  }
  const ip = parseIpOrThrow(endpoint.ip);
  const label = formatIp(ip);
  const n = index.podByIp.get(label);
  if (n !== undefined) return podEndpoint(index, n);
  return { label, pod: undefined, ip, hostNetwork: false };
}

export function podEndpoint(index: PolicyIndex, n: number): ResolvedEndpoint {
  return { label: index.podKeys[n]!, pod: n, ip: index.podIps[n], hostNetwork: index.pods[n]!.hostNetwork };
}

export function evaluateConnection(
  index: PolicyIndex,
  src: TrafficEndpoint,
  dst: TrafficEndpoint,
  port: number,
  protocol: Protocol,
): ConnectionVerdict {
  const portProblem = portNumberProblem(port);
  if (portProblem !== undefined) throw new NetpolError('E_INVALID_VALUE', `port ${port} ${portProblem}`);
  if (!PROTOCOLS.includes(protocol)) {
    throw new NetpolError(
      'E_INVALID_VALUE',
      `protocol "${String(protocol)}" is not one of ${PROTOCOLS.join(', ')}`,
    );
  }
  const from = resolveEndpoint(index, src);
  const to = resolveEndpoint(index, dst);
  const self = from.pod !== undefined && from.pod === to.pod;
  let egress = evaluateSide(index, 'Egress', from, to, port, protocol);
  let ingress = evaluateSide(index, 'Ingress', to, from, port, protocol);
  if (self) {
    egress = asSelf(egress);
    ingress = asSelf(ingress);
  }
  const allowed = self || (egress.allowed && ingress.allowed);
  const verdict = { allowed, self, egress, ingress };
  return {
    ...verdict,
    summary: connectionSummary(from.label, to.label, formatPort(protocol, port), verdict),
  };
}

/**
 * One side: `owner` is the pod whose policies decide (the source for Egress, the destination for
 * Ingress); `peer` is the other end.
 */
export function evaluateSide(
  index: PolicyIndex,
  direction: Direction,
  owner: ResolvedEndpoint,
  peer: ResolvedEndpoint,
  port: number,
  protocol: Protocol,
): SideVerdict {
  const base = { direction, endpoint: owner.label };
  if (owner.pod === undefined || owner.hostNetwork) {
    const why = owner.pod === undefined ? 'outside' : 'hostNetwork';
    return notIsolated(base, false, notAppliedReason(direction, owner.label, why));
  }
  const numbers = (direction === 'Ingress' ? index.ingressPolicies : index.egressPolicies)[owner.pod]!;
  if (numbers.length === 0) {
    const others = index.selectingPolicies[owner.pod]!.map((p) => index.policies[p]!.key);
    return notIsolated(base, true, notIsolatedReason(direction, owner.label, others));
  }
  // Named ports resolve on the destination: the owner itself for ingress, the peer for egress
  // (never on an address, and never on a hostNetwork pod, whose namedPorts are empty).
  const dstPod = direction === 'Ingress' ? owner.pod : peer.pod;
  const target = dstPod === undefined ? undefined : index.namedPorts[dstPod];
  const allowedBy: RuleRef[] = [];
  const portMisses: RuleRef[] = [];
  let ruleCount = 0;
  const isolatingPolicies: string[] = [];
  for (const p of numbers) {
    const policy = index.policies[p]!;
    isolatingPolicies.push(policy.key);
    const rules = direction === 'Ingress' ? policy.ingress : policy.egress;
    ruleCount += rules.length;
    for (const rule of rules) {
      if (!peerMatches(rule.peers, peer)) continue;
      if (portsMatch(rule.ports, port, protocol, target)) allowedBy.push(rule.ref);
      else portMisses.push(rule.ref);
    }
  }
  const allowed = allowedBy.length > 0;
  return {
    ...base,
    applies: true,
    isolated: true,
    isolatingPolicies,
    allowed,
    allowedBy,
    reason: allowed
      ? allowedReason(allowedBy)
      : deniedReason(
          direction,
          isolatingPolicies,
          ruleCount,
          peer.label,
          formatPort(protocol, port),
          portMisses,
        ),
  };
}

export function peerMatches(peers: 'any' | IndexedPeers, peer: ResolvedEndpoint): boolean {
  if (peers === 'any') return true;
  if (peer.pod !== undefined) return peers.pods.has(peer.pod);
  const ip = peer.ip;
  return ip !== undefined && peers.ipBlocks.some((b) => ipBlockContains(b.parsed, ip));
}

function notIsolated(
  base: { direction: Direction; endpoint: string },
  applies: boolean,
  reason: string,
): SideVerdict {
  return { ...base, applies, isolated: false, isolatingPolicies: [], allowed: true, allowedBy: [], reason };
}

function asSelf(side: SideVerdict): SideVerdict {
  return side.allowed ? side : { ...side, allowed: true, reason: selfReason(side.endpoint, side.reason) };
}

function parseIpOrThrow(ip: string): IpAddress {
  const problem = ipProblem(ip);
  if (problem !== undefined) {
    throw new NetpolError('E_INVALID_VALUE', `"${ip}" is not an IP address: ${problem}`);
  }
  return parseIp(ip);
}
