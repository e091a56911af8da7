/** Frozen copy of the policy index as it was before issue 8, for bench/index-scale.bench.ts only. */
/**
 * The PolicyIndex: a ClusterState precomputed once for every question the evaluator answers.
 * Pods are numbered in "ns/name" order; each policy's podSelector and each rule's peers become
 * PodSets; each pod knows the policies isolating it per direction; named container ports are
 * indexed both per pod and per (protocol, name, number). Built by one pure function, immutable
 * afterwards and safe to share; nothing in it depends on the order of the state's lists.
 *
 * Invalid input the API server would refuse (a bad CIDR or pod IP, two objects with one name)
 * throws a NetpolError rather than being guessed at.
 */
import {
  cidrProblem,
  formatIp,
  type IpAddress,
  ipProblem,
  parseCidr,
  parseIp,
} from '../../src/core/k8s/cidr';
import {
  type Labels,
  NAMESPACE_NAME_LABEL,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PolicyType,
} from '../../src/core/k8s/types';
import { NetpolError } from '../../src/core/errors';
import { copyRecord } from '../../src/core/own-keys';
import { type ClusterState, type PodInfo, podKey, policyKey } from '../../src/core/state/cluster-state';
import { type ParsedIpBlock, PeerResolver } from './peer-resolver';
import { PodSet, PodSetBuilder } from './pod-set';
import { effectivePolicyTypes } from '../../src/core/k8s/policy-types';
import {
  compilePorts,
  type NamedPorts,
  namedPortKey,
  type PortMatcher,
} from '../../src/core/evaluator/ports';
import type { Direction, RuleRef } from '../../src/core/evaluator/verdict';

export interface IndexedIpBlock {
  cidr: string;
  except: string[];
  parsed: ParsedIpBlock;
}

export interface IndexedPeers {
  /** Pods the rule's pod/namespace selectors match (never hostNetwork pods). */
  selected: PodSet;
  ipBlocks: IndexedIpBlock[];
  /** `selected` plus every pod whose IP an ipBlock matches: the pods this peer list admits. */
  pods: PodSet;
}

export interface IndexedRule {
  ref: RuleRef;
  /** 'any': `from`/`to` absent or empty, every peer inside and outside the cluster. */
  peers: 'any' | IndexedPeers;
  /** 'any': `ports` absent or empty. */
  ports: 'any' | PortMatcher[];
}

export interface IndexedPolicy {
  key: string;
  namespace: string;
  name: string;
  /** Effective policyTypes (after defaulting). */
  types: PolicyType[];
  /** Pods of the policy's namespace its podSelector matches (never hostNetwork pods). */
  selects: PodSet;
  /** Empty unless `types` has Ingress. */
  ingress: IndexedRule[];
  /** Empty unless `types` has Egress. */
  egress: IndexedRule[];
}

export interface PolicyIndex {
  /** Every pod, sorted by "ns/name"; a pod's position is its number in every PodSet. */
  readonly pods: readonly PodInfo[];
  readonly podKeys: readonly string[];
  readonly podNumber: ReadonlyMap<string, number>;
  readonly podIps: readonly (IpAddress | undefined)[];
  /** Canonical IP -> the non-hostNetwork pod holding it (the first by name if several do). */
  readonly podByIp: ReadonlyMap<string, number>;
  readonly allPods: PodSet;
  /** Sorted by "ns/name". */
  readonly policies: readonly IndexedPolicy[];
  /** Per pod: positions in `policies` of the policies selecting it, ascending. */
  readonly selectingPolicies: readonly (readonly number[])[];
  readonly ingressPolicies: readonly (readonly number[])[];
  readonly egressPolicies: readonly (readonly number[])[];
  /** Per pod: its named container ports (empty for hostNetwork pods: names never resolve on them). */
  readonly namedPorts: readonly NamedPorts[];
  /** namedPortKey(protocol, name) -> port number -> the non-hostNetwork pods exposing it. */
  readonly namedPortPods: ReadonlyMap<string, ReadonlyMap<number, PodSet>>;
}

const byKey = <T>(key: (t: T) => string) => {
  return (a: T, b: T): number => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
};

export function buildPolicyIndex(state: ClusterState): PolicyIndex {
  const pods = [...state.pods].sort(byKey(podKey));
  const podKeys = pods.map(podKey);
  const podNumber = new Map<string, number>();
  podKeys.forEach((key, i) => {
    if (podNumber.has(key)) throw new NetpolError('E_STATE', `pod ${key} appears more than once`);
    podNumber.set(key, i);
  });

  const podIps = pods.map((pod, i) => {
    if (pod.ip === undefined) return undefined;
    const problem = ipProblem(pod.ip);
    if (problem !== undefined) {
      throw new NetpolError(
        'E_INVALID_VALUE',
        `pod ${podKeys[i]} has IP "${pod.ip}", which is not valid: ${problem}`,
      );
    }
    return parseIp(pod.ip);
  });
  const podByIp = new Map<string, number>();
  podIps.forEach((ip, i) => {
    if (ip === undefined || pods[i]!.hostNetwork) return;
    const text = formatIp(ip);
    if (!podByIp.has(text)) podByIp.set(text, i);
  });

  const policies = [...state.policies].sort(byKey(policyKey));
  const namespaceLabels = collectNamespaces(state);
  const resolver = new PeerResolver({ pods, podIps, namespaceLabels });
  const indexed: IndexedPolicy[] = [];
  for (const policy of policies) {
    const key = policyKey(policy);
    if (indexed.length > 0 && indexed[indexed.length - 1]!.key === key) {
      throw new NetpolError('E_STATE', `NetworkPolicy ${key} appears more than once`);
    }
    indexed.push(indexPolicy(policy, resolver, pods.length));
  }

  const selectingPolicies = pods.map((): number[] => []);
  const ingressPolicies = pods.map((): number[] => []);
  const egressPolicies = pods.map((): number[] => []);
  indexed.forEach((policy, p) => {
    for (const i of policy.selects.indices()) {
      selectingPolicies[i]!.push(p);
      if (policy.types.includes('Ingress')) ingressPolicies[i]!.push(p);
      if (policy.types.includes('Egress')) egressPolicies[i]!.push(p);
    }
  });

  const { namedPorts, namedPortPods } = indexNamedPorts(pods);
  return {
    pods,
    podKeys,
    podNumber,
    podIps,
    podByIp,
    allPods: PodSet.full(pods.length),
    policies: indexed,
    selectingPolicies,
    ingressPolicies,
    egressPolicies,
    namedPorts,
    namedPortPods,
  };
}

function indexPolicy(policy: NetworkPolicy, resolver: PeerResolver, podCount: number): IndexedPolicy {
  const key = policyKey(policy);
  const namespace = policy.metadata.namespace;
  const types = effectivePolicyTypes(policy.spec);
  const rules = (
    direction: Direction,
    list: { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[],
  ) =>
    list.map((rule, ruleIndex): IndexedRule => ({
      ref: { policy: key, direction, ruleIndex },
      peers: compilePeers(rule.peers, {
        namespace,
        resolver,
        podCount,
        where: `NetworkPolicy ${key} spec.${direction.toLowerCase()}[${ruleIndex}].${direction === 'Ingress' ? 'from' : 'to'}`,
      }),
      ports: compilePorts(rule.ports),
    }));
  return {
    key,
    namespace,
    name: policy.metadata.name,
    types,
    selects: resolver.podsInNamespace(namespace, policy.spec.podSelector),
    ingress: types.includes('Ingress')
      ? rules(
          'Ingress',
          (policy.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })),
        )
      : [],
    egress: types.includes('Egress')
      ? rules(
          'Egress',
          (policy.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })),
        )
      : [],
  };
}

/** Namespaces known only from a pod or a policy get the one label the API server always sets. */
function collectNamespaces(state: ClusterState): Map<string, Labels> {
  const labels = new Map<string, Labels>();
  for (const ns of state.namespaces) {
    labels.set(ns.name, copyRecord(ns.labels, [NAMESPACE_NAME_LABEL, ns.name]));
  }
  const names = [...state.pods.map((p) => p.namespace), ...state.policies.map((p) => p.metadata.namespace)];
  for (const name of names) {
    if (!labels.has(name)) labels.set(name, { [NAMESPACE_NAME_LABEL]: name });
  }
  return labels;
}

interface PeerContext {
  namespace: string;
  resolver: PeerResolver;
  podCount: number;
  where: string;
}

/**
 * networking.k8s.io/v1 NetworkPolicyPeer: podSelector alone selects pods of the policy's own
 * namespace; namespaceSelector alone, every pod of the matching namespaces; both together, the
 * pods matching podSelector in the namespaces matching namespaceSelector (AND). Peers of one list
 * are ORed. An absent or empty list admits everything, outside the cluster included.
 */
function compilePeers(peers: NetworkPolicyPeer[] | undefined, ctx: PeerContext): 'any' | IndexedPeers {
  if (peers === undefined || peers.length === 0) return 'any';
  const selected = new PodSetBuilder(ctx.podCount);
  const ipBlocks: IndexedIpBlock[] = [];
  peers.forEach((peer, i) => {
    // The API server refuses an ipBlock next to a selector, and a peer with neither ("must
    // specify a peer"); if one gets here anyway, the ipBlock alone counts and an empty peer
    // admits nothing.
    if (peer.ipBlock !== undefined) {
      const where = `${ctx.where}[${i}].ipBlock`;
      const except = peer.ipBlock.except ?? [];
      ipBlocks.push({
        cidr: peer.ipBlock.cidr,
        except,
        parsed: {
          cidr: parseCidrAt(peer.ipBlock.cidr, `${where}.cidr`),
          except: except.map((e, j) => parseCidrAt(e, `${where}.except[${j}]`)),
        },
      });
    } else if (peer.namespaceSelector !== undefined) {
      selected.addAll(ctx.resolver.podsInNamespaces(peer.namespaceSelector, peer.podSelector));
    } else if (peer.podSelector !== undefined) {
      selected.addAll(ctx.resolver.podsInNamespace(ctx.namespace, peer.podSelector));
    }
  });
  const selectedSet = selected.build();
  const all = new PodSetBuilder(ctx.podCount).addAll(selectedSet);
  for (const block of ipBlocks) {
    all.addAll(ctx.resolver.podsInIpBlock(block.parsed, JSON.stringify([block.cidr, block.except])));
  }
  return { selected: selectedSet, ipBlocks, pods: all.build() };
}

function parseCidrAt(text: string, where: string): ReturnType<typeof parseCidr> {
  const problem = cidrProblem(text);
  if (problem !== undefined)
    throw new NetpolError('E_INVALID_VALUE', `${where}: "${text}" is not a valid CIDR: ${problem}`);
  return parseCidr(text);
}

function indexNamedPorts(pods: readonly PodInfo[]): {
  namedPorts: NamedPorts[];
  namedPortPods: Map<string, Map<number, PodSet>>;
} {
  const builders = new Map<string, Map<number, PodSetBuilder>>();
  const namedPorts = pods.map((pod, i) => {
    const own = new Map<string, number[]>();
    if (pod.hostNetwork) return own;
    for (const port of pod.ports) {
      if (port.name === undefined || port.name === '') continue;
      const key = namedPortKey(port.protocol, port.name);
      // Names are unique per container, not per pod: two containers may reuse one with different
      // numbers, and the name then stands for each of them.
      const numbers = own.get(key) ?? [];
      if (!numbers.includes(port.containerPort)) numbers.push(port.containerPort);
      own.set(
        key,
        numbers.sort((a, b) => a - b),
      );
      let byNumber = builders.get(key);
      if (byNumber === undefined) builders.set(key, (byNumber = new Map()));
      let b = byNumber.get(port.containerPort);
      if (b === undefined) byNumber.set(port.containerPort, (b = new PodSetBuilder(pods.length)));
      b.add(i);
    }
    return own;
  });
  const namedPortPods = new Map<string, Map<number, PodSet>>();
  for (const [key, byNumber] of builders) {
    namedPortPods.set(key, new Map([...byNumber].map(([n, b]) => [n, b.build()] as const)));
  }
  return { namedPorts, namedPortPods };
}
