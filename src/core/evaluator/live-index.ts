/**
 * LiveIndex: the policy index kept current one event at a time, for the node agent. An event (a
 * pod, namespace or policy upserted or deleted) updates it in place and reports what changed in
 * two parts (IndexReport): the sides whose *structure* changed, and the membership deltas of the
 * selectors those structures name. A consumer recompiles the first and applies the second.
 *
 * Selectors (Cilium's selector cache): every distinct peer or policy selector is kept once, with a
 * stable numeric id and its member pods. Four kinds: a podSelector within a namespace ("term"), a
 * namespaceSelector x podSelector pair (a "cross" term: its namespaces are those of a shared
 * group), an ipBlock (the non-hostNetwork pods whose address it matches: egress named ports and
 * the agent's pod identities need them), and an egress named port (the non-hostNetwork pods
 * exposing that name, whatever its number; the number is the pod's own fact). A side's structure
 * (SelectorSide: its policies, rules, ports and the ids its rules name) does not depend on any
 * pod's membership, so a pod added, deleted, relabelled or moved changes only:
 * - the deltas of the selectors it enters or leaves (found through its namespace, the groups its
 *   namespace is in, every ipBlock, and its own named ports): O(selectors that could match it);
 * - the structure of its own sides (when it appears, goes, or its policies or own ingress named
 *   ports change);
 * - `pods` (its address or named ports), which resolution and the agent's maps read.
 * A namespace relabel is deltas only (the cross terms of the groups that flipped). A policy event
 * changes the structure of the pods it selects, before and after (pods in both only when its
 * rules differ by selector ids, ipBlocks or ports), and creates (a delta listing every member) or
 * releases selectors.
 *
 * resolveSide (keyed-side.ts) turns a structure back into today's KeyedSide; compile() is that
 * over the index's own selectors, with each rule's resolution cached until its selectors' members
 * change (rules whose ports name a pod's own ingress ports resolve per pod). Lists handed out are
 * shared: read them, never modify them. Whole-cluster questions (pairs, the matrix) go through
 * snapshot(), a PolicyIndex built from the current state (O(cluster), cached until the next event).
 *
 * Audit mode (issue 10, core/k8s/audit-mode.ts): a policy annotated `netpol.io/audit` is kept and
 * tracked like any other (its selectors, its selection) but takes no part in structure() or
 * compile(), as buildPolicyIndex leaves it out of verdicts. auditStructure() gives the side a pod
 * would have if its audit policies were enforced, when only they select it for that direction
 * (an enforced policy wins: an audit policy can only add allows to a side it isolates). The
 * report's `sides` covers both: a side is listed when its structure or its audit structure
 * changed, including when an annotation alone is added or removed.
 *
 * Mutable and single-threaded: apply() changes it in place; sides and snapshots handed out before
 * are not updated. An event that is not valid (a bad pod IP or CIDR) throws before changing
 * anything.
 */
import { isAuditPolicy } from '../k8s/audit-mode';
import { formatCidr, type IpAddress } from '../k8s/cidr';
import { selectorMatches } from '../k8s/label-selector';
import { type DirectedRule, effectivePolicyTypes, effectiveRules } from '../k8s/policy-types';
import {
  type Labels,
  NAMESPACE_NAME_LABEL,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type PolicyType,
} from '../k8s/types';
import { NetpolError } from '../errors';
import { copyRecord } from '../own-keys';
import {
  type ClusterState,
  type NamespaceInfo,
  type PodInfo,
  podKey,
  policyKey,
} from '../state/cluster-state';
import { compileIngressPorts, type CompiledPortRange, mergeRanges } from './compile';
import {
  type IndexReport,
  type KeyedRule,
  type KeyedSide,
  resolveRule,
  type SelectorDelta,
  type SelectorNamedPort,
  type SelectorRule,
  type SelectorSide,
  type SelectorView,
  type SideChange,
} from './keyed-side';
import { EVERYTHING, ipBlockContains, keyed, type KeyedSelector } from './peer-resolver';
import {
  buildPolicyIndex,
  type IndexedIpBlock,
  indexIpBlock,
  peersWhere,
  podIpOrThrow,
  podNamedPorts,
  type PolicyIndex,
} from './policy-index';
import { compilePorts, type NamedPorts, namedPortKey, type PortMatcher } from './ports';
import { SortedKeys } from './sorted-keys';
import type { Direction, RuleRef } from './verdict';

/** What classOf gives: a key equal for pods rules cannot tell apart, and what it is made of. */
export interface PodClass {
  key: string;
  /** Selector ids, ascending. */
  selectors: readonly number[];
  /** Per named-port selector among them, the pod's numbers for that name. */
  numbers: ReadonlyMap<number, readonly number[]>;
}

export type IndexEvent =
  | { kind: 'pod-upsert'; pod: PodInfo }
  | { kind: 'pod-delete'; namespace: string; name: string }
  | { kind: 'namespace-upsert'; namespace: NamespaceInfo }
  | { kind: 'namespace-delete'; name: string }
  | { kind: 'policy-upsert'; policy: NetworkPolicy }
  | { kind: 'policy-delete'; namespace: string; name: string };

const DIRECTIONS: readonly Direction[] = ['Ingress', 'Egress'];

/** What every kind of selector has: its id, its members, and how many rules or policies name it. */
interface SelectorBase {
  id: number;
  /** Its pods; `version` also bumps when a member's named port numbers change (named selectors). */
  members: SortedKeys;
  users: number;
}

/** A podSelector within a namespace, or within `group`'s namespaces. */
interface Term extends SelectorBase {
  kind: 'term';
  key: string;
  /** 'pods': `selector` within `namespace`; 'cross': `selector` within `group`'s namespaces. */
  namespace: string | undefined;
  group: CrossGroup | undefined;
  selector: KeyedSelector;
  selectsFor: Set<LivePolicy>;
}

/** The non-hostNetwork pods whose address an ipBlock matches. */
interface BlockSelector extends SelectorBase {
  kind: 'block';
  key: string;
  block: IndexedIpBlock;
}

/** The non-hostNetwork pods exposing a named port (namedPortKey), whatever its number. */
interface NameSelector extends SelectorBase {
  kind: 'named';
  key: string;
}

type Selector = Term | BlockSelector | NameSelector;

/** A namespaceSelector, the namespaces it matches, and its terms (one per podSelector). */
interface CrossGroup {
  selector: KeyedSelector;
  namespaces: Set<string>;
  terms: Map<string, Term>;
}

interface LiveRule {
  direction: Direction;
  ports: 'any' | PortMatcher[];
  /** Its structure; for ingress rules naming ports, with no named port resolved (see `namedPorts`). */
  structure: SelectorRule;
  /** Every selector it names (peers, ipBlocks, named ports), for the resolution cache. */
  selectors: Selector[];
  /** Ingress: whether its ports name a container port (resolved on each selected pod). */
  namedPorts: boolean;
  /** Its resolution while its selectors' versions stay; shared, not modified. */
  resolved: { versions: number[]; rule: KeyedRule } | undefined;
}

interface LivePolicy {
  key: string;
  source: NetworkPolicy;
  /** In audit mode: left out of structure() and compile(), its rules are auditStructure()'s. */
  audit: boolean;
  types: PolicyType[];
  selects: Term;
  rules: Record<Direction, LiveRule[]>;
}

/** A pod's policies for one direction, by key: the enforced ones and those in audit mode. */
interface PolicyLists {
  enforced: LivePolicy[];
  audit: LivePolicy[];
}

interface LiveNamespace {
  labels: Labels;
  /** The object as given, when the namespace itself was seen (not only its pods or policies). */
  source: NamespaceInfo | undefined;
  /** Pods and policies in it. */
  refs: number;
}

/** What one event changes, collected while it is applied. */
class Report {
  private readonly marks: Record<Direction, Set<string>> = { Ingress: new Set(), Egress: new Set() };
  /** Marked only because of an audit policy: listed unless an enforced policy isolates the side. */
  private readonly auditMarks: Record<Direction, Set<string>> = { Ingress: new Set(), Egress: new Set() };
  private readonly policiesMarked = { Ingress: new Set<LivePolicy>(), Egress: new Set<LivePolicy>() };
  private readonly deltas = new Map<Selector, { entered: Set<string>; left: Set<string> }>();
  private readonly created = new Set<Selector>();
  private readonly released: number[] = [];
  private readonly pods = new Set<string>();

  /** `recording` false: a build nobody reads the report of; everything is dropped. */
  constructor(private readonly recording = true) {}

  /** `audit`: the change is an audit policy's, which shows only on a side no enforced policy isolates. */
  mark(pod: string, direction: Direction, audit = false): void {
    if (this.recording) (audit ? this.auditMarks : this.marks)[direction].add(pod);
  }

  /** A pod whose facts (address, named ports, existence) changed. */
  pod(key: string): void {
    if (this.recording) this.pods.add(key);
  }

  /** Marks every pod `policy` selects now, once per policy and direction an event. */
  markSelected(policy: LivePolicy, direction: Direction): void {
    if (!this.recording || !policy.types.includes(direction)) return;
    const done = this.policiesMarked[direction];
    if (done.has(policy)) return;
    done.add(policy);
    for (const pod of policy.selects.members) this.mark(pod, direction, policy.audit);
  }

  /** `pod` entered (true) or left `selector`; the two cancel out within one event. */
  member(selector: Selector, pod: string, entered: boolean): void {
    if (!this.recording || this.created.has(selector)) return;
    let delta = this.deltas.get(selector);
    if (delta === undefined) this.deltas.set(selector, (delta = { entered: new Set(), left: new Set() }));
    const [add, cancel] = entered ? [delta.entered, delta.left] : [delta.left, delta.entered];
    if (!cancel.delete(pod)) add.add(pod);
  }

  /** A selector made in this event: its delta is all its members at the end. */
  create(selector: Selector): void {
    if (this.recording) this.created.add(selector);
  }

  release(selector: Selector): void {
    this.deltas.delete(selector);
    if (this.recording && !this.created.delete(selector)) this.released.push(selector.id);
  }

  /**
   * `enforced`: whether enforced policies select the pod for the direction now. An audit-only mark
   * on such a side changed nothing: its structure is theirs and it has no audit structure, before
   * and after (had the enforced selection changed, the side would carry a plain mark too).
   */
  build(enforced: (pod: string, direction: Direction) => boolean): IndexReport {
    for (const d of DIRECTIONS) {
      for (const pod of this.auditMarks[d]) if (!enforced(pod, d)) this.marks[d].add(pod);
    }
    const { Ingress: ingress, Egress: egress } = this.marks;
    const pods = new Set(ingress);
    for (const pod of egress) pods.add(pod);
    const sides: SideChange[] = [];
    for (const pod of [...pods].sort()) {
      if (ingress.has(pod)) sides.push({ pod, direction: 'Ingress' });
      if (egress.has(pod)) sides.push({ pod, direction: 'Egress' });
    }
    const selectors: SelectorDelta[] = [];
    for (const [selector, { entered, left }] of this.deltas) {
      if (entered.size > 0 || left.size > 0)
        selectors.push({ selector: selector.id, entered: [...entered].sort(), left: [...left].sort() });
    }
    for (const selector of this.created) {
      if (selector.members.size > 0)
        selectors.push({ selector: selector.id, entered: selector.members.sorted(), left: [] });
    }
    selectors.sort((a, b) => a.selector - b.selector);
    return {
      sides,
      selectors,
      released: this.released.sort((a, b) => a - b),
      pods: [...this.pods].sort(),
    };
  }
}

export class LiveIndex implements SelectorView {
  private readonly namespaces = new Map<string, LiveNamespace>();
  private readonly pods = new Map<string, PodInfo>();
  private readonly podsByNamespace = new Map<string, Set<string>>();
  /** Parsed addresses of the pods (not hostNetwork) that have one: ipBlock selectors match them. */
  private readonly podIps = new Map<string, IpAddress>();
  /** The terms (pod and cross selectors) each pod is in. */
  private readonly podTerms = new Map<string, Set<Term>>();
  /** The ipBlock selectors each pod is in. */
  private readonly podBlocks = new Map<string, Set<BlockSelector>>();
  private readonly podPolicies = new Map<string, Set<LivePolicy>>();
  private readonly policies = new Map<string, LivePolicy>();
  private readonly namespaceTerms = new Map<string, Map<string, Term>>();
  private readonly groups = new Map<string, CrossGroup>();
  private readonly namespaceGroups = new Map<string, Set<CrossGroup>>();
  private readonly blocks = new Map<string, BlockSelector>();
  /** namedPortKey -> the non-hostNetwork pods exposing it (kept for every name, named or not). */
  private readonly exposing = new Map<string, SortedKeys>();
  private readonly names = new Map<string, NameSelector>();
  /** Named container ports of the pods that have any. */
  private readonly podPorts = new Map<string, NamedPorts>();
  private readonly selectorsById = new Map<number, Selector>();
  private nextSelectorId = 1;
  /** Per pod, its policies by key per direction (filled when compiled; dropped when they change). */
  private readonly podPolicyLists = new Map<string, Record<Direction, PolicyLists | undefined>>();
  private cached: PolicyIndex | undefined;
  /** The report of the event being applied. */
  private report = new Report();

  private constructor(private readonly rest: Pick<ClusterState, 'workloads' | 'services'>) {}

  /** The index of `state`; throws on what buildPolicyIndex refuses (duplicates, bad IPs or CIDRs). */
  static build(state: ClusterState): LiveIndex {
    const live = new LiveIndex({ workloads: state.workloads, services: state.services });
    // Nobody reads these reports: record nothing (a new selector's delta would sort its members).
    live.report = new Report(false);
    for (const ns of state.namespaces) live.change({ kind: 'namespace-upsert', namespace: ns });
    for (const pod of state.pods) {
      if (live.pods.has(podKey(pod)))
        throw new NetpolError('E_STATE', `pod ${podKey(pod)} appears more than once`);
      live.change({ kind: 'pod-upsert', pod });
    }
    for (const policy of state.policies) {
      const key = policyKey(policy);
      if (live.policies.has(key))
        throw new NetpolError('E_STATE', `NetworkPolicy ${key} appears more than once`);
      live.change({ kind: 'policy-upsert', policy });
    }
    live.report = new Report();
    return live;
  }

  /** Applies one event; reports the sides whose structure changed and the selectors' deltas. */
  apply(event: IndexEvent): IndexReport {
    this.report = new Report();
    this.change(event);
    const report = this.report.build((pod, d) => this.enforcedSelects(pod, d));
    this.report = new Report();
    return report;
  }

  /** Applies one event, collecting what it changes in this.report. */
  private change(event: IndexEvent): void {
    // Everything that can throw is checked before anything changes.
    const ip = event.kind === 'pod-upsert' ? podIpOrThrow(event.pod) : undefined;
    const parsed = event.kind === 'policy-upsert' ? parsePolicy(event.policy) : undefined;
    switch (event.kind) {
      case 'pod-upsert':
        this.upsertPod(event.pod, ip);
        break;
      case 'pod-delete':
        this.deletePod(`${event.namespace}/${event.name}`);
        break;
      case 'namespace-upsert':
        this.upsertNamespace(event.namespace);
        break;
      case 'namespace-delete':
        this.deleteNamespace(event.name);
        break;
      case 'policy-upsert':
        this.upsertPolicy(event.policy, parsed!);
        break;
      case 'policy-delete':
        this.deletePolicy(`${event.namespace}/${event.name}`);
        break;
    }
    this.cached = undefined;
  }

  /** The current cluster state (namespaces as given, pods, policies). */
  state(): ClusterState {
    const namespaces: NamespaceInfo[] = [];
    for (const ns of this.namespaces.values()) if (ns.source !== undefined) namespaces.push(ns.source);
    return {
      namespaces,
      pods: [...this.pods.values()],
      policies: [...this.policies.values()].map((p) => p.source),
      workloads: this.rest.workloads,
      services: this.rest.services,
    };
  }

  /** A PolicyIndex of the current state, for whole-cluster questions; rebuilt after each event. */
  snapshot(): PolicyIndex {
    return (this.cached ??= buildPolicyIndex(this.state()));
  }

  has(pod: string): boolean {
    return this.pods.has(pod);
  }

  pod(key: string): PodInfo | undefined {
    return this.pods.get(key);
  }

  // ---- selectors (SelectorView) ----

  /** A selector's pods, sorted (none once it is released). Shared: do not modify. */
  members(selector: number): readonly string[] {
    return this.selectorsById.get(selector)?.members.sorted() ?? NO_PODS;
  }

  /** Every selector alive now (named by a rule or a policy), by id ascending. */
  selectorIds(): number[] {
    return [...this.selectorsById.keys()].sort((a, b) => a - b);
  }

  /** A pod's named container ports (none for hostNetwork or unknown pods). */
  namedPorts(pod: string): NamedPorts {
    return this.podPorts.get(pod) ?? NO_NAMED_PORTS;
  }

  /**
   * The pod as rules can tell it apart, counting only the selectors `relevant` says: those it is
   * in, with its port numbers for each named-port selector. Two pods with the same class are
   * admitted alike by every rule naming only relevant selectors (the node agent's identities).
   */
  classOf(pod: string, relevant: (selector: number) => boolean): PodClass {
    const selectors: number[] = [];
    const numbers = new Map<number, readonly number[]>();
    for (const t of this.podTerms.get(pod) ?? []) if (relevant(t.id)) selectors.push(t.id);
    for (const b of this.podBlocks.get(pod) ?? []) if (relevant(b.id)) selectors.push(b.id);
    for (const [name, list] of this.namedPorts(pod)) {
      const selector = this.names.get(name);
      if (selector === undefined || !relevant(selector.id)) continue;
      selectors.push(selector.id);
      numbers.set(selector.id, list);
    }
    selectors.sort((a, b) => a - b);
    const key = selectors
      .map((id) => (numbers.has(id) ? `${id}:${numbers.get(id)!.join(',')}` : `${id}`))
      .join(' ');
    return { key, selectors, numbers };
  }

  // ---- sides ----

  /** The side's structure: equal to resolveSide's input for compile(pod, direction). */
  structure(key: string, direction: Direction): SelectorSide {
    const pod = this.podOrThrow(key);
    const base = { direction, pod: key };
    if (pod.hostNetwork) return { ...base, applies: false, isolated: false, policies: [], rules: [] };
    return this.selectorSide(key, direction, this.policiesOf(key, direction).enforced);
  }

  /**
   * The side `pod` would have for `direction` if its audit-mode policies were enforced, when they
   * alone select it for that direction (isolated, their rules' union); undefined when an enforced
   * policy selects it (its rules alone decide), when no audit policy does, or for a hostNetwork pod.
   * The node agent writes it with the direction's AUDIT flag: what it would drop passes, reported.
   */
  auditStructure(key: string, direction: Direction): SelectorSide | undefined {
    const pod = this.podOrThrow(key);
    if (pod.hostNetwork) return undefined;
    const { enforced, audit } = this.policiesOf(key, direction);
    if (enforced.length > 0 || audit.length === 0) return undefined;
    return this.selectorSide(key, direction, audit);
  }

  private selectorSide(key: string, direction: Direction, policies: readonly LivePolicy[]): SelectorSide {
    const rules: SelectorRule[] = [];
    for (const policy of policies) {
      for (const rule of policy.rules[direction]) {
        rules.push(
          rule.namedPorts
            ? { ...rule.structure, ports: compileIngressPorts(rule.ports, this.namedPorts(key)) }
            : rule.structure,
        );
      }
    }
    return {
      direction,
      pod: key,
      applies: true,
      isolated: policies.length > 0,
      policies: policies.map((p) => p.key),
      rules,
    };
  }

  compileIngress(pod: string): KeyedSide {
    return this.compile(pod, 'Ingress');
  }

  compileEgress(pod: string): KeyedSide {
    return this.compile(pod, 'Egress');
  }

  /**
   * The side resolved to pod lists: resolveSide(structure(pod, direction), this), and equal to
   * keyedSide(index, compilePod*(index, pod)) on an index built from state().
   */
  compile(key: string, direction: Direction): KeyedSide {
    const pod = this.podOrThrow(key);
    const base = { direction, pod: key };
    if (pod.hostNetwork) return { ...base, applies: false, isolated: false, policies: [], rules: [] };
    const policies = this.policiesOf(key, direction).enforced;
    const rules: KeyedRule[] = [];
    for (const policy of policies) {
      for (const rule of policy.rules[direction]) {
        const shared = this.resolved(rule);
        rules.push(
          rule.namedPorts
            ? { ...shared, ports: compileIngressPorts(rule.ports, this.namedPorts(key)) }
            : shared,
        );
      }
    }
    return {
      ...base,
      applies: true,
      isolated: policies.length > 0,
      policies: policies.map((p) => p.key),
      rules,
    };
  }

  private podOrThrow(key: string): PodInfo {
    const pod = this.pods.get(key);
    if (pod === undefined)
      throw new NetpolError('E_UNKNOWN_ENDPOINT', `pod ${key} is not in the cluster state`);
    return pod;
  }

  /** The policies selecting `pod` for `direction`, by key; cached until its selection changes. */
  private policiesOf(pod: string, direction: Direction): PolicyLists {
    let lists = this.podPolicyLists.get(pod);
    if (lists === undefined)
      this.podPolicyLists.set(pod, (lists = { Ingress: undefined, Egress: undefined }));
    let cached = lists[direction];
    if (cached === undefined) {
      const all = [...(this.podPolicies.get(pod) ?? [])]
        .filter((p) => p.types.includes(direction))
        .sort((a, b) => (a.key < b.key ? -1 : 1));
      cached = lists[direction] = {
        enforced: all.filter((p) => !p.audit),
        audit: all.filter((p) => p.audit),
      };
    }
    return cached;
  }

  /** Whether an enforced (not audit-mode) policy selects `pod` for `direction`. */
  private enforcedSelects(pod: string, direction: Direction): boolean {
    for (const p of this.podPolicies.get(pod) ?? []) if (!p.audit && p.types.includes(direction)) return true;
    return false;
  }

  /** A rule resolved over the current members, made once and shared until they change. */
  private resolved(rule: LiveRule): KeyedRule {
    const cached = rule.resolved;
    if (cached !== undefined && rule.selectors.every((s, i) => s.members.version === cached.versions[i]))
      return cached.rule;
    const resolved = resolveRule(rule.structure, this);
    rule.resolved = { versions: rule.selectors.map((s) => s.members.version), rule: resolved };
    return resolved;
  }

  // ---- pods ----

  private upsertPod(pod: PodInfo, ip: IpAddress | undefined): void {
    const key = podKey(pod);
    const old = this.pods.get(key);
    if (old === undefined) {
      this.ref(pod.namespace, +1);
      let inNamespace = this.podsByNamespace.get(pod.namespace);
      if (inNamespace === undefined) this.podsByNamespace.set(pod.namespace, (inNamespace = new Set()));
      inNamespace.add(key);
    }
    this.pods.set(key, pod);
    if (ip !== undefined && !pod.hostNetwork) this.podIps.set(key, ip);
    else this.podIps.delete(key);
    this.podChanged(key, old, pod);
  }

  private deletePod(key: string): void {
    const old = this.pods.get(key);
    if (old === undefined) return;
    this.pods.delete(key);
    this.podIps.delete(key);
    this.podsByNamespace.get(old.namespace)!.delete(key);
    this.podChanged(key, old, undefined);
    this.podPolicyLists.delete(key);
    this.ref(old.namespace, -1);
  }

  /** Brings selectors and selections up to date for one pod, reporting what changes. */
  private podChanged(key: string, old: PodInfo | undefined, pod: PodInfo | undefined): void {
    const report = this.report;
    const existence = old === undefined || pod === undefined || old.hostNetwork !== pod.hostNetwork;
    if (existence) for (const d of DIRECTIONS) report.mark(key, d);
    this.updateTerms(key, pod);
    const moved = existence || old.ip !== pod.ip;
    if (moved) this.updateBlocks(key, pod);
    const portsChanged = this.updateNamedPorts(key, old, pod);
    if (moved || portsChanged) report.pod(key);
  }

  /** `known`, when given, is the pod's terms now (a namespace relabel knows which can change). */
  private updateTerms(key: string, pod: PodInfo | undefined, known?: Set<Term>): void {
    const before = this.podTerms.get(key) ?? NO_TERMS;
    const after = known ?? new Set<Term>();
    if (known === undefined && pod !== undefined && !pod.hostNetwork) {
      for (const term of this.namespaceTerms.get(pod.namespace)?.values() ?? []) {
        if (selectorMatches(term.selector.selector, pod.labels)) after.add(term);
      }
      for (const group of this.namespaceGroups.get(pod.namespace) ?? []) {
        for (const term of group.terms.values()) {
          if (selectorMatches(term.selector.selector, pod.labels)) after.add(term);
        }
      }
    }
    const flipped: Term[] = [];
    for (const term of before) {
      if (after.has(term)) continue;
      term.members.delete(key);
      this.report.member(term, key, false);
      flipped.push(term);
    }
    for (const term of after) {
      if (before.has(term)) continue;
      term.members.add(key);
      this.report.member(term, key, true);
      flipped.push(term);
    }
    if (after.size > 0) this.podTerms.set(key, after);
    else this.podTerms.delete(key);
    for (const term of flipped) {
      for (const policy of term.selectsFor) {
        this.select(key, policy, after.has(term));
        for (const d of policy.types) this.report.mark(key, d, policy.audit);
      }
    }
  }

  /** The ipBlock selectors a pod is in follow its address (and whether it is hostNetwork). */
  private updateBlocks(key: string, pod: PodInfo | undefined): void {
    const before = this.podBlocks.get(key) ?? NO_BLOCKS;
    const ip = pod === undefined ? undefined : this.podIps.get(key);
    const after = new Set<BlockSelector>();
    if (ip !== undefined) {
      for (const block of this.blocks.values()) if (ipBlockContains(block.block.parsed, ip)) after.add(block);
    }
    for (const block of before) {
      if (after.has(block)) continue;
      block.members.delete(key);
      this.report.member(block, key, false);
    }
    for (const block of after) {
      if (before.has(block)) continue;
      block.members.add(key);
      this.report.member(block, key, true);
    }
    if (after.size > 0) this.podBlocks.set(key, after);
    else this.podBlocks.delete(key);
  }

  /**
   * Keeps `exposing` and the pod's named ports current; a pod starting or stopping to expose a
   * name is a delta of that name's selector, a changed number bumps its version. Whether the
   * pod's named ports changed.
   */
  private updateNamedPorts(key: string, old: PodInfo | undefined, pod: PodInfo | undefined): boolean {
    const before = this.podPorts.get(key) ?? NO_NAMED_PORTS;
    const after = pod === undefined ? NO_NAMED_PORTS : podNamedPorts(pod);
    if (old !== undefined && pod !== undefined && sameNamedPorts(before, after)) return false;
    if (after.size > 0) this.podPorts.set(key, after);
    else this.podPorts.delete(key);
    let changed = false;
    for (const [name, numbers] of before) {
      const now = after.get(name);
      if (now !== undefined && sameNumbers(numbers, now)) continue;
      changed = true;
      const pods = this.exposing.get(name)!;
      if (now !== undefined) {
        pods.version++; // same member, other numbers: resolutions naming it are stale
        continue;
      }
      pods.delete(key);
      const selector = this.names.get(name);
      if (selector !== undefined) this.report.member(selector, key, false);
      else if (pods.size === 0) this.exposing.delete(name);
    }
    for (const name of after.keys()) {
      if (before.has(name)) continue;
      changed = true;
      let pods = this.exposing.get(name);
      if (pods === undefined) this.exposing.set(name, (pods = new SortedKeys()));
      pods.add(key);
      const selector = this.names.get(name);
      if (selector !== undefined) this.report.member(selector, key, true);
    }
    return changed;
  }

  private select(pod: string, policy: LivePolicy, selected: boolean): void {
    this.podPolicyLists.delete(pod);
    let set = this.podPolicies.get(pod);
    if (selected) {
      if (set === undefined) this.podPolicies.set(pod, (set = new Set()));
      set.add(policy);
    } else if (set !== undefined) {
      set.delete(policy);
      if (set.size === 0) this.podPolicies.delete(pod);
    }
  }

  // ---- namespaces ----

  private upsertNamespace(info: NamespaceInfo): void {
    const ns = this.ensureNamespace(info.name);
    ns.source = info;
    this.relabel(info.name, copyRecord(info.labels, [NAMESPACE_NAME_LABEL, info.name]));
  }

  private deleteNamespace(name: string): void {
    const ns = this.namespaces.get(name);
    if (ns === undefined) return;
    ns.source = undefined;
    if (ns.refs === 0) this.dropNamespace(name);
    else this.relabel(name, defaultLabels(name));
  }

  /** Counts a pod or policy in `name`; a namespace known only from those goes with the last. */
  private ref(name: string, delta: number): void {
    const ns = this.ensureNamespace(name);
    ns.refs += delta;
    if (ns.refs === 0 && ns.source === undefined) this.dropNamespace(name);
  }

  private ensureNamespace(name: string): LiveNamespace {
    let ns = this.namespaces.get(name);
    if (ns === undefined) {
      ns = { labels: defaultLabels(name), source: undefined, refs: 0 };
      this.namespaces.set(name, ns);
      const groups = new Set<CrossGroup>();
      for (const group of this.groups.values()) {
        if (selectorMatches(group.selector.selector, ns.labels)) {
          group.namespaces.add(name);
          groups.add(group);
        }
      }
      this.namespaceGroups.set(name, groups);
    }
    return ns;
  }

  private dropNamespace(name: string): void {
    this.namespaces.delete(name);
    for (const group of this.namespaceGroups.get(name) ?? []) group.namespaces.delete(name);
    this.namespaceGroups.delete(name);
  }

  private relabel(name: string, labels: Labels): void {
    const ns = this.namespaces.get(name)!;
    ns.labels = labels;
    const groups = this.namespaceGroups.get(name)!;
    const entered: CrossGroup[] = [];
    const left = new Set<CrossGroup>();
    for (const group of this.groups.values()) {
      const matches = selectorMatches(group.selector.selector, labels);
      if (matches === groups.has(group)) continue;
      if (matches) {
        groups.add(group);
        group.namespaces.add(name);
        entered.push(group);
      } else {
        groups.delete(group);
        group.namespaces.delete(name);
        left.add(group);
      }
    }
    if (entered.length === 0 && left.size === 0) return;
    // Only the terms of the groups that flipped can change for its pods.
    for (const key of this.podsByNamespace.get(name) ?? []) {
      const pod = this.pods.get(key)!;
      const after = new Set<Term>();
      for (const term of this.podTerms.get(key) ?? []) {
        if (term.group === undefined || !left.has(term.group)) after.add(term);
      }
      if (!pod.hostNetwork) {
        for (const group of entered) {
          for (const term of group.terms.values()) {
            if (selectorMatches(term.selector.selector, pod.labels)) after.add(term);
          }
        }
      }
      this.updateTerms(key, pod, after);
    }
  }

  // ---- policies ----

  private upsertPolicy(source: NetworkPolicy, parsed: ParsedPolicy): void {
    const key = policyKey(source);
    const old = this.policies.get(key);
    if (old === undefined) this.ref(source.metadata.namespace, +1);
    // Acquired before the old one is released: the selectors both name keep their ids.
    const policy = this.acquire(key, source, parsed);
    this.policies.set(key, policy);
    for (const d of DIRECTIONS) this.markPolicyChange(old, policy, d);
    if (old !== undefined) this.release(old);
    this.register(policy);
  }

  private deletePolicy(key: string): void {
    const old = this.policies.get(key);
    if (old === undefined) return;
    for (const d of DIRECTIONS) this.report.markSelected(old, d);
    this.policies.delete(key);
    this.release(old);
    this.ref(old.source.metadata.namespace, -1);
  }

  /** Pods entering or leaving the selection change; pods in both iff the rules' structure differs. */
  private markPolicyChange(old: LivePolicy | undefined, policy: LivePolicy, d: Direction): void {
    const before = old !== undefined && old.types.includes(d) ? old.selects.members : new Set<string>();
    const after = policy.types.includes(d) ? policy.selects.members : new Set<string>();
    for (const pod of before) if (!after.has(pod)) this.report.mark(pod, d, old!.audit);
    for (const pod of after) if (!before.has(pod)) this.report.mark(pod, d, policy.audit);
    if (old === undefined) return;
    // Enforced <-> audit: the enforced side gains or loses the policy, whatever its rules.
    const same = old.audit !== policy.audit ? false : sameRules(old.rules[d], policy.rules[d]);
    const audit = old.audit && policy.audit;
    if (same === true) return;
    for (const pod of after) {
      if (!before.has(pod)) continue;
      if (same === false) this.report.mark(pod, d, audit);
      else {
        const own = this.namedPorts(pod);
        const differs = old.rules[d].some(
          (r, i) =>
            JSON.stringify(compileIngressPorts(r.ports, own)) !==
            JSON.stringify(compileIngressPorts(policy.rules[d][i]!.ports, own)),
        );
        if (differs) this.report.mark(pod, d, audit);
      }
    }
  }

  private acquire(key: string, source: NetworkPolicy, parsed: ParsedPolicy): LivePolicy {
    const namespace = source.metadata.namespace;
    const policy: LivePolicy = {
      key,
      source,
      audit: isAuditPolicy(source),
      types: parsed.types,
      selects: this.term(namespace, undefined, parsed.podSelector),
      rules: { Ingress: [], Egress: [] },
    };
    for (const d of DIRECTIONS) {
      policy.rules[d] = parsed.rules[d].map((r, ruleIndex) =>
        this.liveRule({ policy: key, direction: d, ruleIndex }, namespace, r.peers, r.ports),
      );
    }
    return policy;
  }

  private liveRule(
    ref: RuleRef,
    namespace: string,
    peers: 'any' | ParsedPeers,
    ports: 'any' | PortMatcher[],
  ): LiveRule {
    const selectors: Selector[] = [];
    let structurePeers: SelectorRule['peers'] = 'any';
    if (peers !== 'any') {
      const terms = new Map<number, Term>();
      for (const s of peers.selectors) {
        const term = this.term(namespace, s.namespaceSelector, s.podSelector);
        if (terms.has(term.id))
          this.unuse(term); // named twice: one use
        else terms.set(term.id, term);
      }
      const ipBlocks = peers.ipBlocks.map((block) => ({ selector: this.block(block), block }));
      const ids = [...terms.keys()].sort((a, b) => a - b);
      selectors.push(...ids.map((id) => terms.get(id)!), ...ipBlocks.map((b) => b.selector));
      structurePeers = {
        selectors: ids,
        ipBlocks: ipBlocks.map((b) => ({ selector: b.selector.id, block: b.block })),
      };
    }
    const namedPorts =
      ref.direction === 'Ingress' && ports !== 'any' && ports.some((m) => m.kind === 'named');
    let structurePorts: SelectorRule['ports'];
    if (ref.direction === 'Ingress') structurePorts = compileIngressPorts(ports, NO_NAMED_PORTS);
    else if (ports === 'any') structurePorts = 'any';
    else {
      const { ranges, names } = egressPortShape(ports);
      const named = names.map(([key, m]): SelectorNamedPort => {
        const selector = this.name(key);
        selectors.push(selector);
        return {
          kind: 'named',
          protocol: m.protocol,
          name: (m as { name: string }).name,
          selector: selector.id,
        };
      });
      structurePorts = [...ranges, ...named];
    }
    return {
      direction: ref.direction,
      ports,
      structure: { ref, peers: structurePeers, ports: structurePorts },
      selectors,
      namedPorts,
      resolved: undefined,
    };
  }

  /** Hooks a policy acquired (and compared) into its selection. */
  private register(policy: LivePolicy): void {
    policy.selects.selectsFor.add(policy);
    for (const pod of policy.selects.members) this.select(pod, policy, true);
  }

  private release(policy: LivePolicy): void {
    policy.selects.selectsFor.delete(policy);
    for (const pod of policy.selects.members) this.select(pod, policy, false);
    this.unuse(policy.selects);
    for (const d of DIRECTIONS)
      for (const rule of policy.rules[d]) for (const s of rule.selectors) this.unuse(s);
  }

  // ---- selectors ----

  private newId(selector: Selector): void {
    this.selectorsById.set(selector.id, selector);
    this.report.create(selector);
  }

  /** The shared term for a peer (or a policy's podSelector), created with its members if new. */
  private term(
    namespace: string,
    namespaceSelector: KeyedSelector | undefined,
    podSelector: KeyedSelector,
  ): Term {
    let term: Term | undefined;
    if (namespaceSelector === undefined) {
      let terms = this.namespaceTerms.get(namespace);
      if (terms === undefined) this.namespaceTerms.set(namespace, (terms = new Map()));
      term = terms.get(podSelector.key);
      if (term === undefined) {
        term = this.newTerm(namespace, undefined, podSelector, [namespace]);
        terms.set(podSelector.key, term);
      }
    } else {
      let group = this.groups.get(namespaceSelector.key);
      if (group === undefined) {
        group = { selector: namespaceSelector, namespaces: new Set(), terms: new Map() };
        this.groups.set(namespaceSelector.key, group);
        for (const [name, ns] of this.namespaces) {
          if (selectorMatches(namespaceSelector.selector, ns.labels)) {
            group.namespaces.add(name);
            this.namespaceGroups.get(name)!.add(group);
          }
        }
      }
      term = group.terms.get(podSelector.key);
      if (term === undefined) {
        term = this.newTerm(undefined, group, podSelector, group.namespaces);
        group.terms.set(podSelector.key, term);
      }
    }
    term.users++;
    return term;
  }

  private newTerm(
    namespace: string | undefined,
    group: CrossGroup | undefined,
    selector: KeyedSelector,
    namespaces: Iterable<string>,
  ): Term {
    const term: Term = {
      kind: 'term',
      id: this.nextSelectorId++,
      key: selector.key,
      namespace,
      group,
      selector,
      members: new SortedKeys(),
      users: 0,
      selectsFor: new Set(),
    };
    this.newId(term);
    for (const ns of namespaces) {
      for (const key of this.podsByNamespace.get(ns) ?? []) {
        const pod = this.pods.get(key)!;
        if (pod.hostNetwork || !selectorMatches(selector.selector, pod.labels)) continue;
        term.members.add(key);
        let terms = this.podTerms.get(key);
        if (terms === undefined) this.podTerms.set(key, (terms = new Set()));
        terms.add(term);
      }
    }
    return term;
  }

  /** The shared selector of an ipBlock (by canonical cidr and excepts), with its pods if new. */
  private block(block: IndexedIpBlock): BlockSelector {
    const key = [formatCidr(block.parsed.cidr), ...block.parsed.except.map(formatCidr).sort()].join(' ');
    let selector = this.blocks.get(key);
    if (selector === undefined) {
      selector = {
        kind: 'block',
        id: this.nextSelectorId++,
        key,
        block,
        members: new SortedKeys(),
        users: 0,
      };
      this.blocks.set(key, selector);
      this.newId(selector);
      for (const [pod, ip] of this.podIps) {
        if (!ipBlockContains(block.parsed, ip)) continue;
        selector.members.add(pod);
        let blocks = this.podBlocks.get(pod);
        if (blocks === undefined) this.podBlocks.set(pod, (blocks = new Set()));
        blocks.add(selector);
      }
    }
    selector.users++;
    return selector;
  }

  /** The selector of the pods exposing a named port (namedPortKey). */
  private name(key: string): NameSelector {
    let selector = this.names.get(key);
    if (selector === undefined) {
      let pods = this.exposing.get(key);
      if (pods === undefined) this.exposing.set(key, (pods = new SortedKeys()));
      selector = { kind: 'named', id: this.nextSelectorId++, key, members: pods, users: 0 };
      this.names.set(key, selector);
      this.newId(selector);
    }
    selector.users++;
    return selector;
  }

  private unuse(selector: Selector): void {
    if (--selector.users > 0) return;
    this.selectorsById.delete(selector.id);
    this.report.release(selector);
    if (selector.kind === 'named') {
      this.names.delete(selector.key);
      if (selector.members.size === 0) this.exposing.delete(selector.key);
      return;
    }
    if (selector.kind === 'block') {
      this.blocks.delete(selector.key);
      for (const pod of selector.members) {
        const blocks = this.podBlocks.get(pod)!;
        blocks.delete(selector);
        if (blocks.size === 0) this.podBlocks.delete(pod);
      }
      return;
    }
    const term = selector;
    for (const pod of term.members) {
      const terms = this.podTerms.get(pod)!;
      terms.delete(term);
      if (terms.size === 0) this.podTerms.delete(pod);
    }
    if (term.group === undefined) {
      const terms = this.namespaceTerms.get(term.namespace!)!;
      terms.delete(term.key);
      if (terms.size === 0) this.namespaceTerms.delete(term.namespace!);
      return;
    }
    const group = term.group;
    group.terms.delete(term.key);
    if (group.terms.size > 0) return;
    this.groups.delete(group.selector.key);
    for (const ns of group.namespaces) this.namespaceGroups.get(ns)?.delete(group);
  }
}

function defaultLabels(name: string): Labels {
  return copyRecord({}, [NAMESPACE_NAME_LABEL, name]);
}

const NO_PODS: readonly string[] = [];
const NO_NAMED_PORTS: NamedPorts = new Map<string, number[]>();
const NO_TERMS: ReadonlySet<Term> = new Set();
const NO_BLOCKS: ReadonlySet<BlockSelector> = new Set();

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function sameNamedPorts(a: NamedPorts, b: NamedPorts): boolean {
  if (a.size !== b.size) return false;
  for (const [name, numbers] of a) {
    const other = b.get(name);
    if (other === undefined || !sameNumbers(numbers, other)) return false;
  }
  return true;
}

/** What an egress rule's ports compile to apart from who exposes the names. */
function egressPortShape(ports: PortMatcher[]): {
  ranges: CompiledPortRange[];
  names: [string, PortMatcher][];
} {
  const ranges: CompiledPortRange[] = [];
  const names = new Map<string, PortMatcher>();
  for (const m of ports) {
    if (m.kind === 'range') ranges.push({ kind: 'range', protocol: m.protocol, from: m.from, to: m.to });
    else {
      const key = namedPortKey(m.protocol, m.name);
      if (!names.has(key)) names.set(key, m);
    }
  }
  return { ranges: mergeRanges(ranges), names: [...names].sort(([a], [b]) => (a < b ? -1 : 1)) };
}

/**
 * true: every selected pod's structure is the same under both rule lists; false: every one
 * differs; 'per-pod': only ingress named ports differ, which resolve on each pod.
 */
function sameRules(a: LiveRule[], b: LiveRule[]): boolean | 'per-pod' {
  if (a.length !== b.length) return false;
  let perPod = false;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]!.structure, b[i]!.structure];
    if (!samePeers(x.peers, y.peers)) return false;
    if (JSON.stringify(x.ports) !== JSON.stringify(y.ports)) return false;
    if (a[i]!.namedPorts || b[i]!.namedPorts) {
      if (JSON.stringify(a[i]!.ports) !== JSON.stringify(b[i]!.ports)) perPod = true;
    }
  }
  return perPod ? 'per-pod' : true;
}

function samePeers(a: SelectorRule['peers'], b: SelectorRule['peers']): boolean {
  if (a === 'any' || b === 'any') return a === b;
  const ids = (list: readonly number[]) => list.join(',');
  const blocks = (p: Exclude<SelectorRule['peers'], 'any'>) =>
    JSON.stringify(p.ipBlocks.map((x) => [x.selector, x.block.cidr, x.block.except]));
  return ids(a.selectors) === ids(b.selectors) && blocks(a) === blocks(b);
}

// ---- parsing: everything that can throw, before anything changes ----

interface ParsedPeers {
  selectors: { namespaceSelector: KeyedSelector | undefined; podSelector: KeyedSelector }[];
  ipBlocks: IndexedIpBlock[];
}

interface ParsedPolicy {
  types: PolicyType[];
  podSelector: KeyedSelector;
  rules: Record<Direction, { peers: 'any' | ParsedPeers; ports: 'any' | PortMatcher[] }[]>;
}

function parsePolicy(policy: NetworkPolicy): ParsedPolicy {
  const key = policyKey(policy);
  const types = effectivePolicyTypes(policy.spec);
  const written = effectiveRules(policy.spec, types);
  const parseRules = (d: Direction, list: readonly DirectedRule[]) =>
    list.map((rule, i) => ({
      peers: parsePeers(rule.peers, peersWhere(key, d, i)),
      ports: compilePorts(rule.ports),
    }));
  return {
    types,
    podSelector: keyed(policy.spec.podSelector),
    rules: { Ingress: parseRules('Ingress', written.Ingress), Egress: parseRules('Egress', written.Egress) },
  };
}

/** The same reading as the PolicyIndex's compilePeers: ipBlock wins, then namespaceSelector, then podSelector. */
function parsePeers(peers: NetworkPolicyPeer[] | undefined, where: string): 'any' | ParsedPeers {
  if (peers === undefined || peers.length === 0) return 'any';
  const out: ParsedPeers = { selectors: [], ipBlocks: [] };
  peers.forEach((peer, i) => {
    if (peer.ipBlock !== undefined) out.ipBlocks.push(indexIpBlock(peer.ipBlock, `${where}[${i}].ipBlock`));
    else if (peer.namespaceSelector !== undefined) {
      out.selectors.push({
        namespaceSelector: keyed(peer.namespaceSelector),
        podSelector: peer.podSelector === undefined ? EVERYTHING : keyed(peer.podSelector),
      });
    } else if (peer.podSelector !== undefined) {
      out.selectors.push({ namespaceSelector: undefined, podSelector: keyed(peer.podSelector) });
    }
  });
  return out;
}
