/**
 * A local pod's compiled side (the engine's KeyedSide) as dataplane rules: peer identities x
 * protocol/port ranges, what BpfDataplane.swapRules writes as one rule set. Pure; the caller says
 * what identities pods and ipBlocks have.
 *
 * - 'any' peers: IDENTITY.ANY (every address, pods and the world).
 * - peer pods: their identities (a pod without an IP yet has none and matches nothing).
 * - an ipBlock: the identities of its refined prefixes AND of the pods whose IP lies inside it and
 *   outside its excepts: a pod's host prefix wins the longest-prefix lookup over any block, and the
 *   evaluator says an ipBlock matches pod IPs too.
 * - port ranges: one rule each (the adapter turns a range into aligned prefixes).
 * - an egress named port: resolved per destination pod, (its identity, its port number) for each
 *   pod exposing the name that the rule's peers admit.
 */
import { IDENTITY } from '../adapters/bpf/abi';
import type { PolicyRule } from '../adapters/bpf/bpf-dataplane';
import type { KeyedSide } from '../core/evaluator';

export interface IpBlockRef {
  readonly cidr: string;
  readonly except: readonly string[];
}

export interface SideRuleLookups {
  /** The identity of a pod (by "ns/name"); undefined while it has no address. */
  podIdentity(pod: string): number | undefined;
  /** The refined-prefix identities an ipBlock matches. */
  blockIdentities(block: IpBlockRef): readonly number[];
  /** The pods ("ns/name") whose address the ipBlock matches. */
  podsInBlock(block: IpBlockRef): readonly string[];
}

export function sideRules(side: KeyedSide, lookups: SideRuleLookups): PolicyRule[] {
  if (!side.applies || !side.isolated) return [];
  const rules: PolicyRule[] = [];
  for (const rule of side.rules) {
    let identities: Set<number>;
    let admitsPod: (pod: string) => boolean;
    if (rule.peers === 'any') {
      identities = new Set([IDENTITY.ANY]);
      admitsPod = () => true;
    } else {
      const peerPods = new Set(rule.peers.pods);
      identities = new Set();
      for (const block of rule.peers.ipBlocks) {
        for (const identity of lookups.blockIdentities(block)) identities.add(identity);
        for (const pod of lookups.podsInBlock(block)) peerPods.add(pod);
      }
      for (const pod of peerPods) {
        const identity = lookups.podIdentity(pod);
        if (identity !== undefined) identities.add(identity);
      }
      admitsPod = (pod) => peerPods.has(pod);
    }
    if (rule.ports === 'any') {
      for (const identity of identities) rules.push({ identity });
      continue;
    }
    for (const port of rule.ports) {
      if (port.kind === 'range') {
        for (const identity of identities) {
          rules.push({ identity, protocol: port.protocol, port: port.from, endPort: port.to });
        }
        continue;
      }
      for (const { port: number, pods } of port.byPort) {
        for (const pod of pods) {
          if (!admitsPod(pod)) continue;
          const identity = lookups.podIdentity(pod);
          if (identity !== undefined) rules.push({ identity, protocol: port.protocol, port: number });
        }
      }
    }
  }
  return rules;
}
