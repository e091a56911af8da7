/**
 * The PolicyIndex: a ClusterState precomputed once for every question the evaluator answers.
 * Pods are numbered in "ns/name" order; each policy's podSelector and each rule's peers become
 * PodSets; each pod knows the policies isolating it per direction; named container ports are
 * indexed both per pod and per (protocol, name, number). Policies in audit mode are not indexed
 * (they are not enforced). Built by one pure function, immutable
 * afterwards and safe to share; nothing in it depends on the order of the state's lists.
 *
 * Invalid input the API server would refuse (a bad CIDR or pod IP, two objects with one name)
 * throws a NetpolError rather than being guessed at.
 */
import { cidrProblem, formatIp, type IpAddress, ipProblem, parseCidr, parseIp } from '../k8s/cidr';
import {
  type Labels,
  NAMESPACE_NAME_LABEL,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type PolicyType,
} from '../k8s/types';
import { NetpolError } from '../errors';
import { copyRecord } from '../own-keys';
import { type ClusterState, type PodInfo, podKey, policyKey } from '../state/cluster-state';
import { enforcedState } from '../state/enforced-state';
import { keyed, type ParsedIpBlock, PeerResolver } from './peer-resolver';
import { PodSet, PodSetBuilder } from './pod-set';
import { type DirectedRule, effectivePolicyTypes, effectiveRules } from '../k8s/policy-types';
import { compilePorts, type NamedPorts, namedPortKey, type PortMatcher } from './ports';
import type { Direction, RuleRef } from './verdict';

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

/** `list` sorted by `key`, each key computed once (not once per comparison). */
function sortedByKey<T>(list: readonly T[], key: (t: T) => string): T[] {
  const keyed = list.map((item) => ({ item, key: key(item) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.item);
}

/**
 * Policies in audit mode (netpol.io/audit) are left out: they are not enforced, so they decide no
 * verdict (state/enforced-state.ts).
 */
export function buildPolicyIndex(cluster: ClusterState): PolicyIndex {
  const state = enforcedState(cluster);
  const pods = sortedByKey(state.pods, podKey);
  const podKeys = pods.map(podKey);
  const podNumber = new Map<string, number>();
  podKeys.forEach((key, i) => {
    if (podNumber.has(key)) throw new NetpolError('E_STATE', `pod ${key} appears more than once`);
    podNumber.set(key, i);
  });

  const podIps = pods.map(podIpOrThrow);
  const podByIp = new Map<string, number>();
  podIps.forEach((ip, i) => {
    if (ip === undefined || pods[i]!.hostNetwork) return;
    const text = formatIp(ip);
    if (!podByIp.has(text)) podByIp.set(text, i);
  });

  const policies = sortedByKey(state.policies, policyKey);
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
    const isIngress = policy.types.includes('Ingress');
    const isEgress = policy.types.includes('Egress');
    policy.selects.forEach((i) => {
      selectingPolicies[i]!.push(p);
      if (isIngress) ingressPolicies[i]!.push(p);
      if (isEgress) egressPolicies[i]!.push(p);
    });
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

/** The pod's parsed IP; a pod whose IP is not valid throws, as the API server would refuse it. */
export function podIpOrThrow(pod: PodInfo): IpAddress | undefined {
  if (pod.ip === undefined) return undefined;
  // Parsed once; the problem is worked out only for the message.
  try {
    return parseIp(pod.ip);
  } catch {
    throw new NetpolError(
      'E_INVALID_VALUE',
      `pod ${podKey(pod)} has IP "${pod.ip}", which is not valid: ${ipProblem(pod.ip)}`,
    );
  }
}

/** The text under which a rule's peers are reported in errors. */
export function peersWhere(policy: string, direction: Direction, ruleIndex: number): string {
  return `NetworkPolicy ${policy} spec.${direction.toLowerCase()}[${ruleIndex}].${direction === 'Ingress' ? 'from' : 'to'}`;
}

function indexPolicy(policy: NetworkPolicy, resolver: PeerResolver, podCount: number): IndexedPolicy {
  const key = policyKey(policy);
  const namespace = policy.metadata.namespace;
  const types = effectivePolicyTypes(policy.spec);
  const written = effectiveRules(policy.spec, types);
  const rules = (direction: Direction, list: readonly DirectedRule[]) =>
    list.map((rule, ruleIndex): IndexedRule => ({
      ref: { policy: key, direction, ruleIndex },
      peers: compilePeers(rule.peers, {
        namespace,
        resolver,
        podCount,
        where: peersWhere(key, direction, ruleIndex),
      }),
      ports: compilePorts(rule.ports),
    }));
  return {
    key,
    namespace,
    name: policy.metadata.name,
    types,
    selects: resolver.podsInNamespace(namespace, keyed(policy.spec.podSelector)),
    ingress: rules('Ingress', written.Ingress),
    egress: rules('Egress', written.Egress),
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
  const selectedSets: PodSet[] = [];
  const ipBlocks: IndexedIpBlock[] = [];
  peers.forEach((peer, i) => {
    // The API server refuses an ipBlock next to a selector, and a peer with neither ("must
    // specify a peer"); if one gets here anyway, the ipBlock alone counts and an empty peer
    // admits nothing.
    if (peer.ipBlock !== undefined) {
      ipBlocks.push(indexIpBlock(peer.ipBlock, `${ctx.where}[${i}].ipBlock`));
    } else if (peer.namespaceSelector !== undefined) {
      const pods = peer.podSelector === undefined ? undefined : keyed(peer.podSelector);
      selectedSets.push(ctx.resolver.podsInNamespaces(keyed(peer.namespaceSelector), pods));
    } else if (peer.podSelector !== undefined) {
      selectedSets.push(ctx.resolver.podsInNamespace(ctx.namespace, keyed(peer.podSelector)));
    }
  });
  // One selector peer (the usual case) shares the resolver's set instead of copying it.
  const selected = unionOf(ctx.podCount, selectedSets);
  const blockSets = ipBlocks.map((block) =>
    ctx.resolver.podsInIpBlock(block.parsed, JSON.stringify([block.cidr, block.except])),
  );
  const pods = blockSets.length === 0 ? selected : unionOf(ctx.podCount, [selected, ...blockSets]);
  return { selected, ipBlocks, pods };
}

function unionOf(podCount: number, sets: readonly PodSet[]): PodSet {
  if (sets.length === 1) return sets[0]!;
  const b = new PodSetBuilder(podCount);
  for (const set of sets) b.addAll(set);
  return b.build();
}

/** An ipBlock parsed; `where` names it in the error when a CIDR is not valid. */
export function indexIpBlock(block: { cidr: string; except?: string[] }, where: string): IndexedIpBlock {
  const except = block.except ?? [];
  return {
    cidr: block.cidr,
    except,
    parsed: {
      cidr: parseCidrAt(block.cidr, `${where}.cidr`),
      except: except.map((e, j) => parseCidrAt(e, `${where}.except[${j}]`)),
    },
  };
}

function parseCidrAt(text: string, where: string): ReturnType<typeof parseCidr> {
  try {
    return parseCidr(text);
  } catch {
    throw new NetpolError('E_INVALID_VALUE', `${where}: "${text}" is not a valid CIDR: ${cidrProblem(text)}`);
  }
}

function indexNamedPorts(pods: readonly PodInfo[]): {
  namedPorts: NamedPorts[];
  namedPortPods: Map<string, Map<number, PodSet>>;
} {
  const builders = new Map<string, Map<number, PodSetBuilder>>();
  const namedPorts = pods.map((pod, i) => {
    const own = podNamedPorts(pod);
    for (const [key, numbers] of own) {
      let byNumber = builders.get(key);
      if (byNumber === undefined) builders.set(key, (byNumber = new Map()));
      for (const number of numbers) {
        let b = byNumber.get(number);
        if (b === undefined) byNumber.set(number, (b = new PodSetBuilder(pods.length)));
        b.add(i);
      }
    }
    return own;
  });
  const namedPortPods = new Map<string, Map<number, PodSet>>();
  for (const [key, byNumber] of builders) {
    namedPortPods.set(key, new Map([...byNumber].map(([n, b]) => [n, b.build()] as const)));
  }
  return { namedPorts, namedPortPods };
}

/** A pod's named container ports (none for a hostNetwork pod: names never resolve on it). */
export function podNamedPorts(pod: PodInfo): Map<string, number[]> {
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
  }
  return own;
}
