/**
 * A compiled side with its pods named ("ns/name") instead of numbered: the form that does not
 * depend on an index's numbering, so sides from two indexes (before and after a change, or a
 * LiveIndex and a fresh PolicyIndex) compare with a deep equality. Pure data.
 *
 * Also the form LiveIndex maintains: a SelectorSide names selectors (stable numeric handles)
 * instead of listing their pods, so a pod event changes a selector's members (a SelectorDelta)
 * rather than every side that admits the pod; resolveSide turns it back into a KeyedSide given
 * the selectors' members.
 */
import { podSetKeys, type CompiledPortRange, type CompiledSide } from './compile';
import type { IndexedIpBlock, PolicyIndex } from './policy-index';
import { type NamedPorts, namedPortKey } from './ports';
import { mergeSorted } from './sorted-keys';
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

/**
 * One change an event made: the pod whose side for `direction` has another structure (policies,
 * rules, ports, selectors named) than before, or appeared or went. Membership changes of the
 * selectors it names are SelectorDeltas instead.
 */
export interface SideChange {
  pod: string;
  direction: Direction;
}

// ---- sides that name selectors instead of listing pods (LiveIndex.structure) ----

/** An ipBlock peer and the selector of the (non-hostNetwork) pods whose address it matches. */
export interface SelectorIpBlock {
  selector: number;
  block: IndexedIpBlock;
}

/** Egress: a named port, resolved on each destination: `selector` holds the pods exposing it. */
export interface SelectorNamedPort {
  kind: 'named';
  protocol: Protocol;
  name: string;
  selector: number;
}

/**
 * A rule whose peers are selector handles: the pods of `selectors` (their union) plus, through
 * `ipBlocks`, addresses. Depends on no pod's membership: a pod entering or leaving a selector is
 * a SelectorDelta, not a change of this rule.
 */
export interface SelectorRule {
  ref: RuleRef;
  peers: 'any' | { selectors: readonly number[]; ipBlocks: readonly SelectorIpBlock[] };
  ports: 'any' | readonly (CompiledPortRange | SelectorNamedPort)[];
}

/** A side's structure: its policies, rules and ports, and which selectors its rules name. */
export interface SelectorSide {
  direction: Direction;
  pod: string;
  applies: boolean;
  isolated: boolean;
  policies: string[];
  rules: SelectorRule[];
}

/** What resolving a SelectorSide needs: selectors' members and pods' named ports. */
export interface SelectorView {
  /** The selector's pods ("ns/name"), sorted. Unknown selectors have none. */
  members(selector: number): readonly string[];
  /** A pod's named container ports by namedPortKey(protocol, name) (none when unknown). */
  namedPorts(pod: string): NamedPorts;
}

/** One selector whose members changed in an event: pods entered and left, each sorted. */
export interface SelectorDelta {
  selector: number;
  entered: readonly string[];
  left: readonly string[];
}

/**
 * What one LiveIndex event changed. A consumer holding, per side, its SelectorSide and, per
 * selector, its members is current again after: recompiling `sides` (LiveIndex.structure; a
 * deleted pod's sides are listed too), applying `selectors` (a selector first seen starts empty,
 * so its delta lists every member), forgetting `released` and re-reading the facts (address,
 * named ports) of `pods`. Every list is exact: nothing listed is unchanged.
 */
export interface IndexReport {
  /** Sides whose structure changed, sorted by pod then direction (Ingress first). */
  sides: SideChange[];
  /** Membership deltas, by selector id ascending. */
  selectors: SelectorDelta[];
  /** Selectors no rule or policy names any more (ids are never reused). */
  released: number[];
  /** Pods added, deleted, or whose address, hostNetwork or named ports changed; sorted. */
  pods: string[];
}

/** `side` resolved to pod lists: the KeyedSide compilePod* gives on an index of the same state. */
export function resolveSide(side: SelectorSide, view: SelectorView): KeyedSide {
  return { ...side, rules: side.rules.map((rule) => resolveRule(rule, view)) };
}

export function resolveRule(rule: SelectorRule, view: SelectorView): KeyedRule {
  if (rule.peers === 'any') {
    return {
      ref: rule.ref,
      peers: 'any',
      ports: rule.ports === 'any' ? 'any' : rule.ports.map((p) => (p.kind === 'range' ? p : named(p, view))),
    };
  }
  const { selectors, ipBlocks } = rule.peers;
  const pods = unionSorted(selectors.map((s) => view.members(s)));
  let admitted: readonly string[] | undefined;
  const admittedPods = (): readonly string[] =>
    (admitted ??= unionSorted([pods, ...ipBlocks.map((b) => view.members(b.selector))]));
  return {
    ref: rule.ref,
    peers: { pods, ipBlocks: ipBlocks.map((b) => b.block) },
    ports:
      rule.ports === 'any'
        ? 'any'
        : rule.ports.map((p) => (p.kind === 'range' ? p : named(p, view, admittedPods()))),
  };
}

/** An egress named port's byPort: the pods exposing it, `admitted` ones only unless peers are 'any'. */
function named(port: SelectorNamedPort, view: SelectorView, admitted?: readonly string[]): KeyedNamedPort {
  const exposing = view.members(port.selector);
  const pods = admitted === undefined ? exposing : intersectSorted(exposing, admitted);
  const key = namedPortKey(port.protocol, port.name);
  const byNumber = new Map<number, string[]>();
  for (const pod of pods) {
    for (const number of view.namedPorts(pod).get(key) ?? []) {
      const list = byNumber.get(number);
      if (list === undefined) byNumber.set(number, [pod]);
      else list.push(pod);
    }
  }
  const byPort = [...byNumber].map(([n, list]) => ({ port: n, pods: list })).sort((a, b) => a.port - b.port);
  return { kind: 'named', protocol: port.protocol, name: port.name, byPort };
}

/** The sorted union of sorted lists (the one list itself when there is one). */
export function unionSorted(lists: readonly (readonly string[])[]): readonly string[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return NONE;
  let out = nonEmpty[0]!;
  for (let i = 1; i < nonEmpty.length; i++) out = mergeSorted(out, nonEmpty[i]!);
  return out;
}

/** The sorted intersection of two sorted lists: walks the shorter, binary-searches the longer. */
export function intersectSorted(a: readonly string[], b: readonly string[]): readonly string[] {
  const [small, large] = a.length <= b.length ? [a, b] : [b, a];
  const out: string[] = [];
  let lo = 0;
  for (const x of small) {
    let hi = large.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (large[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    if (lo < large.length && large[lo] === x) out.push(x);
  }
  return out;
}

const NONE: readonly string[] = [];
