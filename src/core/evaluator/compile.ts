/**
 * Per-pod compiled rule sets: "what may reach this pod" (ingress) and "where may this pod send"
 * (egress), made concrete for the node agent, which turns them into eBPF maps (an LPM trie of peer
 * addresses to port ranges). Peers are resolved to pod sets and parsed ipBlocks; ports are numeric
 * ranges, sorted and merged. An ingress named port resolves on the pod itself; an egress named port
 * resolves on each destination, so it stays a CompiledNamedPort listing, per port number, the pods
 * exposing that name that the rule's peers admit (a connection needs both, so the pods outside the
 * peers would never be consulted; listing only the admitted ones keeps a side unchanged when an
 * unrelated pod exposing the name comes or goes). The PodSets are the index's own where they can
 * be (shared, immutable): compiling is cheap.
 * Agrees with evaluateConnection for every pair (tested through compiledSideAllows).
 */
import type { Protocol } from '../k8s/types';
import { PROTOCOLS } from '../k8s/types';
import { NetpolError } from '../errors';
import { type PodInfo, podKey } from '../state/cluster-state';
import { resolveEndpoint } from './connection';
import { ipBlockContains, type ParsedIpBlock } from './peer-resolver';
import type { PodSet } from './pod-set';
import type { IndexedRule, PolicyIndex } from './policy-index';
import { type NamedPorts, namedPortKey, type PortMatcher } from './ports';
import type { Direction, RuleRef, TrafficEndpoint } from './verdict';

export interface CompiledIpBlock {
  cidr: string;
  except: string[];
  parsed: ParsedIpBlock;
}

export interface CompiledPeers {
  /** Pods the rule's pod/namespace selectors match. Pods covered by an ipBlock are matched through `ipBlocks`. */
  pods: PodSet;
  ipBlocks: CompiledIpBlock[];
}

export interface CompiledPortRange {
  kind: 'range';
  protocol: Protocol;
  /** Inclusive. */
  from: number;
  to: number;
}

/** Egress only: a named port, resolved on each destination pod. */
export interface CompiledNamedPort {
  kind: 'named';
  protocol: Protocol;
  name: string;
  /**
   * Per port number, ascending: the (non-hostNetwork) pods whose container port `name` has it and
   * that the rule's peers admit (its selectors' pods and the pods inside its ipBlocks; every such
   * pod for 'any' peers). Numbers no admitted pod has are left out.
   */
  byPort: { port: number; pods: PodSet }[];
}

export type CompiledPort = CompiledPortRange | CompiledNamedPort;

/**
 * A connection matches a rule when its peer matches `peers` (a pod of `peers.pods`, or an address,
 * a pod's included, inside an ipBlock and outside its excepts) AND its port matches `ports`.
 */
export interface CompiledRule {
  ref: RuleRef;
  /** 'any': every peer, inside and outside the cluster. */
  peers: 'any' | CompiledPeers;
  /**
   * 'any': every port of every protocol. Otherwise the union of the entries; unlike the API, an
   * empty list matches nothing (every named port of an ingress rule failed to resolve on the pod).
   */
  ports: 'any' | CompiledPort[];
}

export interface CompiledSide {
  direction: Direction;
  pod: string;
  /** False for a hostNetwork pod: no policy applies to it. */
  applies: boolean;
  /** False: everything is allowed in this direction, and `rules` is empty. */
  isolated: boolean;
  /** "ns/name" of the isolating policies, sorted. */
  policies: string[];
  /** Ordered by policy then rule index; a connection is allowed iff some rule allows it. */
  rules: CompiledRule[];
}

export function compilePodIngress(index: PolicyIndex, pod: PodInfo): CompiledSide {
  return compileSide(index, pod, 'Ingress');
}

export function compilePodEgress(index: PolicyIndex, pod: PodInfo): CompiledSide {
  return compileSide(index, pod, 'Egress');
}

function compileSide(index: PolicyIndex, pod: PodInfo, direction: Direction): CompiledSide {
  const key = podKey(pod);
  const n = index.podNumber.get(key);
  if (n === undefined) throw new NetpolError('E_UNKNOWN_ENDPOINT', `pod ${key} is not in the cluster state`);
  const base = { direction, pod: key };
  if (index.pods[n]!.hostNetwork)
    return { ...base, applies: false, isolated: false, policies: [], rules: [] };
  const numbers = (direction === 'Ingress' ? index.ingressPolicies : index.egressPolicies)[n]!;
  const rules: CompiledRule[] = [];
  for (const p of numbers) {
    const policy = index.policies[p]!;
    for (const rule of direction === 'Ingress' ? policy.ingress : policy.egress) {
      rules.push({
        ref: rule.ref,
        peers: compilePeers(rule),
        ports:
          direction === 'Ingress'
            ? compileIngressPorts(rule.ports, index.namedPorts[n]!)
            : compileEgressPorts(index, rule),
      });
    }
  }
  const policies = numbers.map((p) => index.policies[p]!.key);
  return { ...base, applies: true, isolated: numbers.length > 0, policies, rules };
}

function compilePeers(rule: IndexedRule): CompiledRule['peers'] {
  if (rule.peers === 'any') return 'any';
  return { pods: rule.peers.selected, ipBlocks: rule.peers.ipBlocks };
}

export function compileIngressPorts(
  ports: 'any' | PortMatcher[],
  own: NamedPorts,
): 'any' | CompiledPortRange[] {
  if (ports === 'any') return 'any';
  const ranges: CompiledPortRange[] = [];
  for (const m of ports) {
    if (m.kind === 'range') ranges.push({ kind: 'range', protocol: m.protocol, from: m.from, to: m.to });
    else {
      for (const number of own.get(namedPortKey(m.protocol, m.name)) ?? []) {
        ranges.push({ kind: 'range', protocol: m.protocol, from: number, to: number });
      }
    }
  }
  return mergeRanges(ranges);
}

function compileEgressPorts(index: PolicyIndex, rule: IndexedRule): 'any' | CompiledPort[] {
  const ports = rule.ports;
  if (ports === 'any') return 'any';
  const admitted = rule.peers === 'any' ? undefined : rule.peers.pods;
  const ranges: CompiledPortRange[] = [];
  const named = new Map<string, CompiledNamedPort>();
  for (const m of ports) {
    if (m.kind === 'range') {
      ranges.push({ kind: 'range', protocol: m.protocol, from: m.from, to: m.to });
      continue;
    }
    const key = namedPortKey(m.protocol, m.name);
    if (named.has(key)) continue;
    const byNumber = index.namedPortPods.get(key) ?? new Map<number, PodSet>();
    const byPort = [...byNumber]
      .map(([port, pods]) => ({ port, pods: admitted === undefined ? pods : pods.intersect(admitted) }))
      .filter((e) => !e.pods.isEmpty())
      .sort((a, b) => a.port - b.port);
    named.set(key, { kind: 'named', protocol: m.protocol, name: m.name, byPort });
  }
  const namedSorted = [...named.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  return [...mergeRanges(ranges), ...namedSorted];
}

/** Sorted by protocol then port; overlapping and adjacent ranges merged; empty ranges dropped. */
export function mergeRanges(ranges: CompiledPortRange[]): CompiledPortRange[] {
  const sorted = ranges
    .filter((r) => r.from <= r.to)
    .sort((a, b) => PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol) || a.from - b.from);
  const out: CompiledPortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.protocol === r.protocol && r.from <= last.to + 1) {
      last.to = Math.max(last.to, r.to);
    } else {
      out.push({ ...r });
    }
  }
  return out;
}

/** The pods of a set, in index order. */
export function podSetPods(index: PolicyIndex, set: PodSet): PodInfo[] {
  return set.indices().map((i) => index.pods[i]!);
}

/** The "ns/name" of the pods of a set, sorted. */
export function podSetKeys(index: PolicyIndex, set: PodSet): string[] {
  return set.indices().map((i) => index.podKeys[i]!);
}

/**
 * Whether a compiled side admits a connection with `peer` (the source for ingress, the destination
 * for egress): how the node agent's maps will decide, in TypeScript. `allowedBy` lists the rules.
 */
export function compiledSideAllows(
  index: PolicyIndex,
  side: CompiledSide,
  peer: TrafficEndpoint,
  port: number,
  protocol: Protocol,
): { allowed: boolean; allowedBy: RuleRef[] } {
  if (!side.isolated) return { allowed: true, allowedBy: [] };
  const other = resolveEndpoint(index, peer);
  // The pod whose named ports matter: for egress the peer (when it is a pod), for ingress the pod itself.
  const dst = side.direction === 'Egress' ? other.pod : index.podNumber.get(side.pod);
  const allowedBy = side.rules
    .filter((rule) => {
      const peers = rule.peers;
      const peerOk =
        peers === 'any' ||
        (other.pod !== undefined && peers.pods.has(other.pod)) ||
        (other.ip !== undefined && peers.ipBlocks.some((b) => ipBlockContains(b.parsed, other.ip!)));
      return peerOk && compiledPortsAllow(rule.ports, port, protocol, dst);
    })
    .map((rule) => rule.ref);
  return { allowed: allowedBy.length > 0, allowedBy };
}

function compiledPortsAllow(
  ports: 'any' | CompiledPort[],
  port: number,
  protocol: Protocol,
  dst: number | undefined,
): boolean {
  if (ports === 'any') return true;
  return ports.some((p) => {
    if (p.protocol !== protocol) return false;
    if (p.kind === 'range') return p.from <= port && port <= p.to;
    return dst !== undefined && p.byPort.some((e) => e.port === port && e.pods.has(dst));
  });
}
