/**
 * A compiled side with its pods named ("ns/name") instead of numbered: the form that does not
 * depend on an index's numbering, so sides from two indexes (before and after a change, or a
 * LiveIndex and a fresh PolicyIndex) compare with a deep equality. LiveIndex hands these out; the
 * node agent reads pods' addresses by key. Pure data.
 */
import { podSetKeys, type CompiledPortRange, type CompiledSide } from './compile';
import type { IndexedIpBlock, PolicyIndex } from './policy-index';
import type { Direction, RuleRef } from './verdict';
import type { Protocol } from '../k8s/types';

export interface KeyedNamedPort {
  kind: 'named';
  protocol: Protocol;
  name: string;
  /** Per port number, ascending: the pods (keys, sorted) whose container port `name` has it. */
  byPort: readonly { port: number; pods: readonly string[] }[];
}

export interface KeyedRule {
  ref: RuleRef;
  peers: 'any' | { pods: readonly string[]; ipBlocks: IndexedIpBlock[] };
  ports: 'any' | (CompiledPortRange | KeyedNamedPort)[];
}

export interface KeyedSide {
  direction: Direction;
  pod: string;
  applies: boolean;
  isolated: boolean;
  policies: string[];
  rules: KeyedRule[];
}

/**
 * `side` (compiled from `index`) with its pod sets as sorted pod keys. Pod lists may be shared
 * between sides (LiveIndex hands out one list per selector): read them, never modify them.
 */
export function keyedSide(index: PolicyIndex, side: CompiledSide): KeyedSide {
  return {
    ...side,
    rules: side.rules.map((rule) => ({
      ref: rule.ref,
      peers:
        rule.peers === 'any'
          ? 'any'
          : { pods: podSetKeys(index, rule.peers.pods), ipBlocks: rule.peers.ipBlocks },
      ports:
        rule.ports === 'any'
          ? 'any'
          : rule.ports.map((p) =>
              p.kind === 'range'
                ? p
                : { ...p, byPort: p.byPort.map((e) => ({ port: e.port, pods: podSetKeys(index, e.pods) })) },
            ),
    })),
  };
}

/** One change an event made: the pod whose compiled side for `direction` is not what it was. */
export interface SideChange {
  pod: string;
  direction: Direction;
}
