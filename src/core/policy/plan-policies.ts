/**
 * Turns a policy request (allow / deny / isolate) into the NetworkPolicy specs that make it true,
 * following REFERENCE.md §2.4: `allow SRC to DST` is an ingress policy on each destination, plus an
 * egress policy on the source side when the source is egress-isolated (else the connection still
 * fails), when asked (`both-sides`), or when the destination is not a pod (an ipBlock or keyword).
 * Pure: the cluster state, when known, only answers "is this source egress-isolated?".
 */
import { NetpolError } from '../errors';
import { selectorMatches } from '../k8s/label-selector';
import { policiesIsolating } from '../k8s/policy-types';
import {
  NAMESPACE_NAME_LABEL,
  type LabelSelector,
  type NetworkPolicyEgressRule,
  type NetworkPolicyIngressRule,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type NetworkPolicySpec,
} from '../k8s/types';
import type {
  AllowRequest,
  DenyRequest,
  EndpointRef,
  ExceptItem,
  IsolateRequest,
  PeerRef,
  PodRef,
  PolicyRequest,
  PortsRef,
} from '../request/request';
import { namespaceRefMatches } from '../request/namespace-ref';
import type { ClusterState } from '../state/cluster-state';
import { enforcedState } from '../state/enforced-state';
import {
  clusterPeer,
  dnsPeer,
  dnsPorts,
  ipBlockPeer,
  publicPeers,
  worldPeers,
  type KeywordOptions,
} from './keywords';
import { toLabelSelector } from '../request/selectors';

export interface PlannedPolicy {
  namespace: string;
  /** Words for the readable part of the name, e.g. ["allow", "frontend", "nginx"]. */
  nameHint: string[];
  spec: NetworkPolicySpec;
}

export interface PlanOptions {
  keywords: KeywordOptions;
  /** The cluster, when known: decides whether sources need an egress policy too. */
  state?: ClusterState;
}

export function planPolicies(request: PolicyRequest, options: PlanOptions): PlannedPolicy[] {
  switch (request.verb) {
    case 'allow':
      return planAllow(request, options);
    case 'deny':
      return [planDeny(request, options)];
    case 'isolate':
      return [planIsolate(request)];
  }
}

/** A resolved pod reference as a selector; a bare word nobody resolved means `app=<word>`. */
export function podSelectorOf(pods: PodRef): LabelSelector {
  switch (pods.kind) {
    case 'all':
      return {};
    case 'selector':
      return toLabelSelector(pods.requirements);
    case 'bare':
      return { matchLabels: { app: pods.word } };
    case 'named':
      throw new NetpolError(
        'E_UNKNOWN_ENDPOINT',
        `cannot resolve ${pods.objectKind} "${pods.name}" without the cluster state`,
        {
          column: pods.span.start + 1,
          hint: 'give the cluster state (--state FILE) or write the pods as labels, e.g. app=' + pods.name,
        },
      );
  }
}

/** The namespaces an endpoint lives in, as a namespaceSelector, or the one namespace it names. */
function namespaceSelectorOf(endpoint: EndpointRef): LabelSelector {
  const ns = endpoint.namespace;
  if (ns.kind === 'name') return { matchLabels: { [NAMESPACE_NAME_LABEL]: ns.name } };
  if (ns.kind === 'all') return {};
  return toLabelSelector(ns.requirements);
}

/** An endpoint as a peer of a policy living in `policyNamespace`. */
export function endpointPeer(endpoint: EndpointRef, policyNamespace: string): NetworkPolicyPeer {
  const podSelector = podSelectorOf(endpoint.pods);
  const podsAll = endpoint.pods.kind === 'all';
  if (endpoint.namespace.kind === 'name' && endpoint.namespace.name === policyNamespace) {
    // Same namespace: a podSelector alone already means "in this namespace" (recipe 02, 04).
    return { podSelector };
  }
  const peer: NetworkPolicyPeer = { namespaceSelector: namespaceSelectorOf(endpoint) };
  if (!podsAll) peer.podSelector = podSelector;
  return peer;
}

/** Peers for one request peer; undefined for `all` (a rule without from/to). */
function peersOf(
  peer: PeerRef,
  policyNamespace: string,
  options: PlanOptions,
): NetworkPolicyPeer[] | undefined {
  switch (peer.type) {
    case 'all':
      return undefined;
    case 'endpoint':
      return [endpointPeer(peer, policyNamespace)];
    case 'cidr':
      return [ipBlockPeer(peer.cidr, peer.except)];
    case 'keyword':
      switch (peer.keyword) {
        case 'dns':
          return [dnsPeer(options.keywords)];
        case 'cluster':
          return [clusterPeer()];
        case 'world':
          return worldPeers(options.keywords);
        case 'public':
          return publicPeers();
      }
  }
}

export function portsOf(ports: PortsRef): NetworkPolicyPort[] | undefined {
  if (ports === 'any') return undefined;
  return ports.map((p) => {
    const out: NetworkPolicyPort = { protocol: p.protocol };
    if (p.name !== undefined) out.port = p.name;
    else if (p.port !== undefined) {
      out.port = p.port;
      if (p.endPort !== undefined && p.endPort !== p.port) out.endPort = p.endPort;
    }
    return out;
  });
}

/** One rule allowing any of `peers` on `ports`; `all` among the peers makes the rule peer-less. */
function ruleFor(
  peers: readonly PeerRef[],
  ports: PortsRef,
  policyNamespace: string,
  options: PlanOptions,
): { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] } {
  let rulePorts = portsOf(ports);
  // `dns` alone with no ports means the DNS ports, not every port of the DNS pods.
  if (
    rulePorts === undefined &&
    peers.length > 0 &&
    peers.every((p) => p.type === 'keyword' && p.keyword === 'dns')
  ) {
    rulePorts = dnsPorts(options.keywords);
  }
  const expanded: NetworkPolicyPeer[] = [];
  for (const peer of peers) {
    const converted = peersOf(peer, policyNamespace, options);
    if (converted === undefined) return rulePorts === undefined ? {} : { ports: rulePorts };
    for (const c of converted) {
      if (!expanded.some((e) => JSON.stringify(e) === JSON.stringify(c))) expanded.push(c);
    }
  }
  const rule: { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] } = { peers: expanded };
  if (rulePorts !== undefined) rule.ports = rulePorts;
  return rule;
}

function ingressRule(rule: {
  peers?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}): NetworkPolicyIngressRule {
  const out: NetworkPolicyIngressRule = {};
  if (rule.ports !== undefined) out.ports = rule.ports;
  if (rule.peers !== undefined) out.from = rule.peers;
  return out;
}

function egressRule(rule: {
  peers?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}): NetworkPolicyEgressRule {
  const out: NetworkPolicyEgressRule = {};
  if (rule.ports !== undefined) out.ports = rule.ports;
  if (rule.peers !== undefined) out.to = rule.peers;
  return out;
}

function unsupported(message: string, span: { start: number }, hint: string): NetpolError {
  return new NetpolError('E_UNSUPPORTED', message, { column: span.start + 1, hint });
}

function planAllow(request: AllowRequest, options: PlanOptions): PlannedPolicy[] {
  const planned: PlannedPolicy[] = [];
  const destinations = request.to.filter((p): p is EndpointRef => p.type === 'endpoint');
  const sources = request.from.filter((p): p is EndpointRef => p.type === 'endpoint');
  if (destinations.length === 0 && sources.length === 0) {
    const first = request.from[0] ?? request.to[0];
    throw unsupported(
      'neither side is pods in the cluster, so no NetworkPolicy can select them',
      first?.span ?? { start: 0 },
      'one side must be pods, e.g. allow backend/app=api to 10.0.0.0/16',
    );
  }

  for (const destination of destinations) {
    const ns = destination.namespace;
    // Pods of one named namespace get the ingress policy; pods across namespaces (`*/x`, `ns(...)/x`)
    // cannot be protected by one namespaced object, so they are reached through the source's egress.
    if (ns.kind !== 'name') continue;
    planned.push({
      namespace: ns.name,
      nameHint: ['allow', ...describePeers(request.from), 'to', ...describePeers([destination])],
      spec: {
        podSelector: podSelectorOf(destination.pods),
        policyTypes: ['Ingress'],
        ingress: [ingressRule(ruleFor(request.from, request.ports, ns.name, options))],
      },
    });
  }
  if (planned.length === 0 && sources.length === 0) {
    const first = destinations[0] ?? request.to[0];
    throw unsupported(
      'the destination spans namespaces and the source is not pods, so no NetworkPolicy can hold the rule',
      first?.span ?? { start: 0 },
      'name one destination namespace, e.g. allow 10.0.0.0/8 to backend/app=api',
    );
  }

  const nonPodDestination = request.to.some((p) => p.type !== 'endpoint' || p.namespace.kind !== 'name');
  for (const source of sources) {
    const always = request.bothSides || nonPodDestination;
    for (const namespace of egressNamespaces(source, always, options.state)) {
      planned.push({
        namespace,
        nameHint: ['allow', ...describePeers([source]), 'to', ...describePeers(request.to)],
        spec: {
          podSelector: podSelectorOf(source.pods),
          policyTypes: ['Egress'],
          egress: [egressRule(ruleFor(request.to, request.ports, namespace, options))],
        },
      });
    }
  }
  return planned;
}

/**
 * Where a source needs an egress policy: its namespace when asked or needed for a non-pod
 * destination; otherwise each namespace where the cluster shows its pods egress-isolated.
 */
function egressNamespaces(source: EndpointRef, always: boolean, state: ClusterState | undefined): string[] {
  const ns = source.namespace;
  if (always) {
    if (ns.kind !== 'name') {
      throw unsupported(
        'an egress policy is needed on the source side, and the source must then be pods of one namespace',
        source.span,
        'name the source namespace, e.g. allow backend/app=api to 10.0.0.0/16',
      );
    }
    return [ns.name];
  }
  if (state === undefined) return [];
  // Audit-mode policies isolate nothing yet (core/state/enforced-state.ts).
  const enforced = enforcedState(state).policies;
  const podSelector = podSelectorOf(source.pods);
  const namespaces = state.namespaces.filter((n) => namespaceRefMatches(ns, n));
  return namespaces
    .filter((n) =>
      state.pods.some(
        (pod) =>
          pod.namespace === n.name &&
          selectorMatches(podSelector, pod.labels) &&
          policiesIsolating(enforced, pod, 'Egress').length > 0,
      ),
    )
    .map((n) => n.name);
}

function planDeny(request: DenyRequest, options: PlanOptions): PlannedPolicy {
  let namespace: string;
  let podSelector: LabelSelector;
  let target: string[];
  if (request.subject.kind === 'namespace') {
    namespace = request.subject.namespace;
    podSelector = {};
    target = ['in', namespace];
  } else {
    const endpoint = request.subject.endpoint;
    if (endpoint.namespace.kind !== 'name') {
      throw unsupported(
        'isolation applies to pods of one namespace',
        endpoint.span,
        'name the namespace, e.g. deny ingress to backend/app=db',
      );
    }
    namespace = endpoint.namespace.name;
    podSelector = podSelectorOf(endpoint.pods);
    target = [request.direction === 'egress' ? 'from' : 'to', ...describePods(endpoint.pods)];
  }
  const spec: NetworkPolicySpec = { podSelector, policyTypes: [] };
  const exceptFor = (direction: 'ingress' | 'egress'): ExceptItem[] =>
    // DNS is somewhere pods send to; as an ingress exception it would open the pods to kube-dns.
    request.except.filter(
      (item) => direction === 'egress' || !(item.peer.type === 'keyword' && item.peer.keyword === 'dns'),
    );
  if (request.direction !== 'egress') {
    spec.policyTypes?.push('Ingress');
    spec.ingress = exceptFor('ingress').map((item) =>
      ingressRule(ruleFor([item.peer], item.ports, namespace, options)),
    );
  }
  if (request.direction !== 'ingress') {
    spec.policyTypes?.push('Egress');
    spec.egress = exceptFor('egress').map((item) =>
      egressRule(ruleFor([item.peer], item.ports, namespace, options)),
    );
  }
  const exceptWords =
    request.except.length > 0 ? ['except', ...request.except.flatMap((i) => describePeers([i.peer]))] : [];
  return { namespace, nameHint: ['deny', request.direction, ...target, ...exceptWords], spec };
}

function planIsolate(request: IsolateRequest): PlannedPolicy {
  return {
    namespace: request.namespace,
    nameHint: ['isolate', request.namespace],
    spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] },
  };
}

function describePods(pods: PodRef): string[] {
  switch (pods.kind) {
    case 'all':
      return ['all'];
    case 'bare':
      return [pods.word];
    case 'named':
      return [pods.name];
    case 'selector':
      return pods.requirements.map((r) => ('value' in r ? r.value : r.key));
  }
}

function describePeers(peers: readonly PeerRef[]): string[] {
  return peers.flatMap((peer) => {
    switch (peer.type) {
      case 'all':
        return ['all'];
      case 'cidr':
        return [peer.cidr];
      case 'keyword':
        return [peer.keyword];
      case 'endpoint': {
        const ns = peer.namespace;
        const nsWord = ns.kind === 'name' ? [ns.name] : ns.kind === 'all' ? ['any-ns'] : ['ns'];
        return peer.pods.kind === 'all' ? nsWord : [...nsWord, ...describePods(peer.pods)];
      }
    }
  });
}
