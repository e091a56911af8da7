/**
 * One NetworkPolicy as one line of plain English, in the spirit of the Kubernetes docs' reading of
 * their example policy and `kubectl describe netpol`: which pods it selects, then each direction it
 * isolates and what its rules let through. Pure and total: any object the API server accepts gets a
 * sentence (policyTypes defaulted as the API server does; rules of a direction the policy does not
 * isolate are said to be ignored). The text is plain: renderers escape it for their medium.
 *
 * Reading conventions: peers of one rule are alternatives ("or"); rules are separated by ";"; a peer
 * with both selectors is one AND ("pods app=x in namespaces team=ops").
 */
import { formatSelector, isEmptySelector } from '../k8s/label-selector';
import { effectivePolicyTypes } from '../k8s/policy-types';
import {
  type LabelSelector,
  NAMESPACE_NAME_LABEL,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PolicyType,
  PROTOCOLS,
  type Protocol,
} from '../k8s/types';

export function describePolicy(policy: NetworkPolicy): string {
  return `${policy.metadata.name}: ${describeSpec(policy)}`;
}

/** The sentence without the name: `selects all pods; isolates ingress (nothing allowed)`. */
export function describeSpec(policy: NetworkPolicy): string {
  const spec = policy.spec;
  const types = effectivePolicyTypes(spec);
  const parts = [`selects ${describeTargetPods(spec.podSelector)}`];
  const ignored: string[] = [];
  for (const direction of ['Ingress', 'Egress'] as const) {
    const rules = direction === 'Ingress' ? (spec.ingress ?? []) : (spec.egress ?? []);
    if (types.includes(direction)) {
      parts.push(...describeRules(direction, rules, policy.metadata.namespace));
    } else if (rules.length > 0) {
      ignored.push(
        `its ${direction.toLowerCase()} rules are ignored (policyTypes has no ${direction}, so ${direction.toLowerCase()} stays open)`,
      );
    }
  }
  return [...parts, ...ignored].join('; ');
}

/** The policy's own podSelector: `all pods`, `pods app=web`. */
export function describeTargetPods(selector: LabelSelector): string {
  return isEmptySelector(selector) ? 'all pods' : `pods ${formatSelector(selector)}`;
}

/** The rules of one isolated direction, one clause each (or the isolation alone when there are none). */
export function describeRules(
  direction: PolicyType,
  rules: readonly { from?: NetworkPolicyPeer[]; to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[],
  namespace: string,
): string[] {
  const word = direction.toLowerCase();
  if (rules.length === 0) return [`isolates ${word} (nothing allowed)`];
  return rules.map((rule) => {
    const peers = direction === 'Ingress' ? rule.from : rule.to;
    const preposition = direction === 'Ingress' ? 'from' : 'to';
    return `${word} ${preposition} ${describePeers(peers, namespace)}${describePortsClause(rule.ports)}`;
  });
}

/** Absent or empty peers mean everything, outside the cluster included. */
export function describePeers(peers: readonly NetworkPolicyPeer[] | undefined, namespace: string): string {
  if (peers === undefined || peers.length === 0) return 'anywhere';
  return peers.map((peer) => describePeer(peer, namespace)).join(' or ');
}

/**
 * One peer. podSelector alone: pods of the policy's own namespace; namespaceSelector alone: every
 * pod of those namespaces; both: the pods matching podSelector in those namespaces (AND).
 */
export function describePeer(peer: NetworkPolicyPeer, namespace: string): string {
  if (peer.ipBlock !== undefined) {
    const except = peer.ipBlock.except ?? [];
    return except.length === 0 ? peer.ipBlock.cidr : `${peer.ipBlock.cidr} except ${except.join(', ')}`;
  }
  if (peer.podSelector === undefined && peer.namespaceSelector === undefined) {
    return 'nothing (an empty peer)';
  }
  const pods = peer.podSelector === undefined ? 'all pods' : describeTargetPods(peer.podSelector);
  const where =
    peer.namespaceSelector === undefined
      ? `namespace ${namespace}`
      : describeNamespaces(peer.namespaceSelector);
  return `${pods} in ${where}`;
}

/**
 * `all namespaces`; `namespace frontend` (selected by the name label the API server sets);
 * `namespaces a, b`; else `namespaces team=ops`.
 */
export function describeNamespaces(selector: LabelSelector): string {
  if (isEmptySelector(selector)) return 'all namespaces';
  const labels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (labels.length === 1 && expressions.length === 0 && labels[0]![0] === NAMESPACE_NAME_LABEL) {
    return `namespace ${labels[0]![1]}`;
  }
  const only = expressions[0];
  if (
    labels.length === 0 &&
    expressions.length === 1 &&
    only!.key === NAMESPACE_NAME_LABEL &&
    only!.operator === 'In' &&
    (only!.values ?? []).length > 0
  ) {
    const names = only!.values!;
    return names.length === 1 ? `namespace ${names[0]}` : `namespaces ${names.join(', ')}`;
  }
  return `namespaces ${formatSelector(selector)}`;
}

/** `, any port` or ` on TCP 80, 443 and UDP 53`: appended to a peer list. */
export function describePortsClause(ports: readonly NetworkPolicyPort[] | undefined): string {
  const text = describePorts(ports);
  return text === 'any port' ? ', any port' : ` on ${text}`;
}

/**
 * `any port`, or the ports grouped by protocol in TCP, UDP, SCTP order: `TCP 80, 8000-8100,
 * named port http and UDP 53`; a protocol without a port is `any UDP port`.
 */
export function describePorts(ports: readonly NetworkPolicyPort[] | undefined): string {
  if (ports === undefined || ports.length === 0) return 'any port';
  const byProtocol = new Map<Protocol, string[]>();
  const everyPort = new Set<Protocol>();
  for (const p of ports) {
    const protocol = p.protocol ?? 'TCP';
    if (p.port === undefined) {
      everyPort.add(protocol);
      continue;
    }
    const item =
      typeof p.port === 'string'
        ? `named port ${p.port}`
        : p.endPort !== undefined && p.endPort !== p.port
          ? `${p.port}-${p.endPort}`
          : `${p.port}`;
    const list = byProtocol.get(protocol) ?? [];
    if (!list.includes(item)) list.push(item);
    byProtocol.set(protocol, list);
  }
  const groups: string[] = [];
  for (const protocol of PROTOCOLS) {
    if (everyPort.has(protocol)) groups.push(`any ${protocol} port`);
    else if (byProtocol.has(protocol)) groups.push(`${protocol} ${byProtocol.get(protocol)!.join(', ')}`);
  }
  return groups.length === 1 ? groups[0]! : `${groups.slice(0, -1).join(', ')} and ${groups.at(-1)}`;
}
