/**
 * A local pod's side structure (the engine's SelectorSide: rules naming selectors) as dataplane
 * rules: peer identities x protocol/port ranges, what BpfDataplane.swapRules writes as one rule
 * set. Pure; the caller says which peer classes (identities) each selector holds.
 *
 * Peer identities are per class of pods (PeerClassView: the selectors a pod is in, with its numbers
 * for named-port selectors), so a rule lists the classes in its selectors, not their pods, and a
 * pod of an existing class coming or going elsewhere changes no rule set.
 *
 * - 'any' peers: IDENTITY.ANY (every address, pods and the world).
 * - selector peers: the identities of the classes in any of them.
 * - an ipBlock: the identities of its refined prefixes AND of the classes in its selector (the
 *   pods whose address it matches, outside its excepts): a pod's host prefix wins the
 *   longest-prefix lookup over any block, and the evaluator says an ipBlock matches pod IPs too.
 * - port ranges: one rule each (the adapter turns a range into aligned prefixes).
 * - an egress named port: resolved per destination class: (its identity, its number for the name)
 *   for each class exposing the name that the rule's peers admit.
 */
import { IDENTITY } from '../adapters/bpf/abi';
import type { PolicyRule } from '../adapters/bpf/bpf-dataplane';
import type { SelectorSide } from '../core/evaluator';

export interface IpBlockRef {
  readonly cidr: string;
  readonly except: readonly string[];
}

/** One class of peer pods as rules see it. */
export interface PeerClassView {
  readonly identity: number;
  /** The selectors its pods are in. */
  readonly selectors: readonly number[];
  /** Per named-port selector among them, its pods' numbers for the name. */
  readonly numbers: ReadonlyMap<number, readonly number[]>;
  /** Identities listed wherever this class is (an agent's restart moving addresses to it). */
  readonly aliases?: readonly number[];
}

export interface SideRuleLookups {
  /** The classes whose pods are in `selector`. */
  classesIn(selector: number): Iterable<PeerClassView>;
  /** The refined-prefix identities an ipBlock matches. */
  blockIdentities(block: IpBlockRef): readonly number[];
}

export function sideRules(side: SelectorSide, lookups: SideRuleLookups): PolicyRule[] {
  if (!side.applies || !side.isolated) return [];
  const rules: PolicyRule[] = [];
  for (const rule of side.rules) {
    const identities = new Set<number>();
    let admits: (c: PeerClassView) => boolean;
    if (rule.peers === 'any') {
      identities.add(IDENTITY.ANY);
      admits = () => true;
    } else {
      const peerSelectors = new Set([...rule.peers.selectors, ...rule.peers.ipBlocks.map((b) => b.selector)]);
      for (const block of rule.peers.ipBlocks) {
        for (const identity of lookups.blockIdentities(block.block)) identities.add(identity);
      }
      for (const selector of peerSelectors)
        for (const c of lookups.classesIn(selector)) for (const id of identitiesOf(c)) identities.add(id);
      admits = (c) => c.selectors.some((s) => peerSelectors.has(s));
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
      for (const c of lookups.classesIn(port.selector)) {
        if (!admits(c)) continue;
        for (const number of c.numbers.get(port.selector) ?? []) {
          for (const identity of identitiesOf(c))
            rules.push({ identity, protocol: port.protocol, port: number });
        }
      }
    }
  }
  return rules;
}

function identitiesOf(c: PeerClassView): readonly number[] {
  return c.aliases === undefined || c.aliases.length === 0 ? [c.identity] : [c.identity, ...c.aliases];
}
