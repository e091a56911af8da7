/**
 * LiveIndex: the policy index kept current one event at a time, for the node agent. An event (a
 * pod, namespace or policy upserted or deleted) updates it in place and returns exactly the pods
 * whose compiled ingress/egress sides changed, so the agent recompiles only those.
 *
 * How an event stays cheap: every distinct selector ("term": a podSelector within a namespace, or
 * a namespaceSelector x podSelector pair) is kept once, with its member pods, the rules that use
 * it and the policies it selects for; terms are found from a pod through its namespace (and the
 * namespaceSelectors its namespace matches), so a pod event costs the selectors that could match
 * it plus the rules using the terms it entered or left (and the pods those rules' policies
 * select, which are exactly the sides that change). A policy event costs its own terms and the
 * pods it selects, before and after.
 *
 * A side is the KeyedSide of compilePodIngress/compilePodEgress; it changes when its policies,
 * its rules' peer pods, their addresses (the agent's maps hold addresses), its ports or, for
 * egress named ports, the admitted pods exposing a name change: an egress named port lists only
 * the pods its rule's peers admit, so a pod exposing a name changes the sides of the rules that
 * admit it (found through its terms, plus rules with 'any' peers or ipBlocks), not of every rule
 * naming the port. Whole-cluster questions (pairs, the
 * matrix) go through snapshot(), a PolicyIndex built from the current state (O(cluster), cached
 * until the next event).
 *
 * A recompile costs the pod's rules: each selector keeps its members sorted (SortedKeys), and a
 * rule that compiles the same for every pod it applies to is compiled once and shared by their
 * sides (ingress named ports resolve per pod and are not shared). Sides share those lists and
 * rules: read them, never modify them. A pod joining a broad selector (a namespaceSelector over
 * many namespaces) still changes every side listing that selector, thousands at 150,000 pods: that
 * is the size of this API's answer, not of the work.
 *
 * Mutable and single-threaded: apply() changes it in place; sides and snapshots handed out before
 * are not updated. An event that is not valid (a bad pod IP or CIDR) throws before changing
 * anything.
 */
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
import type { IpAddress } from '../k8s/cidr';
import { compileIngressPorts, type CompiledPortRange, mergeRanges } from './compile';
import type { KeyedNamedPort, KeyedRule, KeyedSide, SideChange } from './keyed-side';
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
import { compilePorts, namedPortKey, type PortMatcher } from './ports';
import { mergeSorted, SortedKeys } from './sorted-keys';
import type { Direction, RuleRef } from './verdict';

export type IndexEvent =
  | { kind: 'pod-upsert'; pod: PodInfo }
  | { kind: 'pod-delete'; namespace: string; name: string }
  | { kind: 'namespace-upsert'; namespace: NamespaceInfo }
  | { kind: 'namespace-delete'; name: string }
  | { kind: 'policy-upsert'; policy: NetworkPolicy }
  | { kind: 'policy-delete'; namespace: string; name: string };

const DIRECTIONS: readonly Direction[] = ['Ingress', 'Egress'];

/** A distinct selector and the pods it matches now. */
interface Term {
  key: string;
  /** 'pods': `selector` within `namespace`; 'cross': `selector` within `group`'s namespaces. */
  namespace: string | undefined;
  group: CrossGroup | undefined;
  selector: KeyedSelector;
  members: SortedKeys;
  users: number;
  rules: Set<LiveRule>;
  selectsFor: Set<LivePolicy>;
}

/** A namespaceSelector, the namespaces it matches, and its terms (one per podSelector). */
interface CrossGroup {
  selector: KeyedSelector;
  namespaces: Set<string>;
  terms: Map<string, Term>;
}

interface LiveRule {
  policy: LivePolicy;
  direction: Direction;
  ref: RuleRef;
  peers: 'any' | { terms: Term[]; ipBlocks: IndexedIpBlock[] };
  ports: 'any' | PortMatcher[];
  /** The sorted union of its terms' members, and their versions when it was made (several terms). */
  union: { versions: number[]; pods: readonly string[] } | undefined;
  /** Whether its ports name a container port. */
  namedPorts: boolean;
  /** Egress: the namedPortKeys its ports name, each once. */
  names: string[];
  /** What it compiles to, for rules that compile the same for every pod; shared, not modified. */
  compiled: { versions: number[]; namedVersion: number; rule: KeyedRule } | undefined;
}

interface LivePolicy {
  key: string;
  source: NetworkPolicy;
  types: PolicyType[];
  selects: Term;
  rules: Record<Direction, LiveRule[]>;
}

/** The egress rules naming one port name, by how a pod can be among their peers. */
interface NameUsers {
  /** 'any' peers, or ipBlocks (whose pods follow addresses, not terms): checked for every pod. */
  always: Set<LiveRule>;
  /** Selector peers only: found through the terms a pod is in. */
  byTerm: Map<Term, Set<LiveRule>>;
}

interface NamedPortPods {
  byNumber: Map<number, SortedKeys>;
  /** What egress rules with 'any' peers naming it compile to, until the next change. Shared: not modified. */
  byPort: { port: number; pods: readonly string[] }[] | undefined;
}

interface LiveNamespace {
  labels: Labels;
  /** The object as given, when the namespace itself was seen (not only its pods or policies). */
  source: NamespaceInfo | undefined;
  /** Pods and policies in it. */
  refs: number;
}

/** Pods marked per direction while one event is applied. */
class Changes {
  private readonly marks: Record<Direction, Set<string>> = { Ingress: new Set(), Egress: new Set() };
  private readonly policiesMarked = { Ingress: new Set<LivePolicy>(), Egress: new Set<LivePolicy>() };

  mark(pod: string, direction: Direction): void {
    this.marks[direction].add(pod);
  }

  /**
   * Marks every pod `policy` selects now. Once per policy and direction an event: a pod it selects
   * later in the same event entered its selection, and that is marked on its own.
   */
  markSelected(policy: LivePolicy, direction: Direction): void {
    if (!policy.types.includes(direction)) return;
    const done = this.policiesMarked[direction];
    if (done.has(policy)) return;
    done.add(policy);
    for (const pod of policy.selects.members) this.mark(pod, direction);
  }

  list(): SideChange[] {
    const { Ingress: ingress, Egress: egress } = this.marks;
    const pods = new Set(ingress);
    for (const pod of egress) pods.add(pod);
    const out: SideChange[] = [];
    for (const pod of [...pods].sort()) {
      if (ingress.has(pod)) out.push({ pod, direction: 'Ingress' });
      if (egress.has(pod)) out.push({ pod, direction: 'Egress' });
    }
    return out;
  }
}

export class LiveIndex {
  private readonly namespaces = new Map<string, LiveNamespace>();
  private readonly pods = new Map<string, PodInfo>();
  private readonly podsByNamespace = new Map<string, Set<string>>();
  private readonly podTerms = new Map<string, Set<Term>>();
  private readonly podPolicies = new Map<string, Set<LivePolicy>>();
  private readonly policies = new Map<string, LivePolicy>();
  private readonly namespaceTerms = new Map<string, Map<string, Term>>();
  private readonly groups = new Map<string, CrossGroup>();
  private readonly namespaceGroups = new Map<string, Set<CrossGroup>>();
  /** namedPortKey -> port number -> pods (not hostNetwork) exposing it. */
  private readonly namedPortPods = new Map<string, NamedPortPods>();
  /** namedPortKey -> the egress rules naming it. */
  private readonly egressNameUsers = new Map<string, NameUsers>();
  /** Bumped whenever namedPortPods or the address of a pod in it changes. */
  private namedPortVersion = 0;
  /** Per pod, its policies by key per direction (filled when compiled; dropped when they change). */
  private readonly podPolicyLists = new Map<string, Record<Direction, LivePolicy[] | undefined>>();
  private cached: PolicyIndex | undefined;

  private constructor(private readonly rest: Pick<ClusterState, 'workloads' | 'services'>) {}

  /** The index of `state`; throws on what buildPolicyIndex refuses (duplicates, bad IPs or CIDRs). */
  static build(state: ClusterState): LiveIndex {
    const live = new LiveIndex({ workloads: state.workloads, services: state.services });
    for (const ns of state.namespaces) live.apply({ kind: 'namespace-upsert', namespace: ns });
    for (const pod of state.pods) {
      if (live.pods.has(podKey(pod)))
        throw new NetpolError('E_STATE', `pod ${podKey(pod)} appears more than once`);
      live.apply({ kind: 'pod-upsert', pod });
    }
    for (const policy of state.policies) {
      const key = policyKey(policy);
      if (live.policies.has(key))
        throw new NetpolError('E_STATE', `NetworkPolicy ${key} appears more than once`);
      live.apply({ kind: 'policy-upsert', policy });
    }
    return live;
  }

  /** Applies one event; returns the changed sides, sorted by pod then direction (Ingress first). */
  apply(event: IndexEvent): SideChange[] {
    const changes = new Changes();
    switch (event.kind) {
      case 'pod-upsert':
        podIpOrThrow(event.pod);
        this.upsertPod(event.pod, changes);
        break;
      case 'pod-delete':
        this.deletePod(`${event.namespace}/${event.name}`, changes);
        break;
      case 'namespace-upsert':
        this.upsertNamespace(event.namespace, changes);
        break;
      case 'namespace-delete':
        this.deleteNamespace(event.name, changes);
        break;
      case 'policy-upsert':
        this.upsertPolicy(event.policy, changes);
        break;
      case 'policy-delete':
        this.deletePolicy(`${event.namespace}/${event.name}`, changes);
        break;
    }
    this.cached = undefined;
    return changes.list();
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

  compileIngress(pod: string): KeyedSide {
    return this.compile(pod, 'Ingress');
  }

  compileEgress(pod: string): KeyedSide {
    return this.compile(pod, 'Egress');
  }

  /** Equal to keyedSide(index, compilePod*(index, pod)) on an index built from state(). */
  compile(key: string, direction: Direction): KeyedSide {
    const pod = this.pods.get(key);
    if (pod === undefined)
      throw new NetpolError('E_UNKNOWN_ENDPOINT', `pod ${key} is not in the cluster state`);
    const base = { direction, pod: key };
    if (pod.hostNetwork) return { ...base, applies: false, isolated: false, policies: [], rules: [] };
    const policies = this.policiesOf(key, direction);
    let own: Map<string, number[]> | undefined;
    const rules: KeyedRule[] = [];
    for (const policy of policies) {
      for (const rule of policy.rules[direction]) {
        if (rule.direction === 'Ingress' && rule.namedPorts) {
          // An ingress named port resolves on the pod itself: this rule compiles per pod.
          rules.push({
            ref: rule.ref,
            peers: rulePeers(rule),
            ports: compileIngressPorts(rule.ports, (own ??= podNamedPorts(pod))),
          });
        } else rules.push(this.sharedRule(rule));
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

  /** The policies selecting `pod` for `direction`, by key; cached until its selection changes. */
  private policiesOf(pod: string, direction: Direction): LivePolicy[] {
    let lists = this.podPolicyLists.get(pod);
    if (lists === undefined)
      this.podPolicyLists.set(pod, (lists = { Ingress: undefined, Egress: undefined }));
    return (lists[direction] ??= [...(this.podPolicies.get(pod) ?? [])]
      .filter((p) => p.types.includes(direction))
      .sort((a, b) => (a.key < b.key ? -1 : 1)));
  }

  /**
   * A rule that compiles the same for every pod its policy selects, made once and handed to each
   * (until its peers or, for egress named ports, the pods exposing a name change).
   */
  private sharedRule(rule: LiveRule): KeyedRule {
    const terms = rule.peers === 'any' ? [] : rule.peers.terms;
    const namedVersion = rule.namedPorts ? this.namedPortVersion : 0;
    const cached = rule.compiled;
    if (
      cached !== undefined &&
      cached.namedVersion === namedVersion &&
      terms.every((t, i) => t.members.version === cached.versions[i])
    )
      return cached.rule;
    const compiled: KeyedRule = {
      ref: rule.ref,
      peers: rulePeers(rule),
      ports:
        rule.direction === 'Ingress'
          ? compileIngressPorts(rule.ports, NO_NAMED_PORTS)
          : this.egressPorts(rule),
    };
    rule.compiled = { versions: terms.map((t) => t.members.version), namedVersion, rule: compiled };
    return compiled;
  }

  // ---- pods ----

  private upsertPod(pod: PodInfo, changes: Changes): void {
    const key = podKey(pod);
    const old = this.pods.get(key);
    if (old === undefined) {
      this.ref(pod.namespace, +1);
      let inNamespace = this.podsByNamespace.get(pod.namespace);
      if (inNamespace === undefined) this.podsByNamespace.set(pod.namespace, (inNamespace = new Set()));
      inNamespace.add(key);
    }
    this.pods.set(key, pod);
    this.podChanged(key, old, pod, changes);
  }

  private deletePod(key: string, changes: Changes): void {
    const old = this.pods.get(key);
    if (old === undefined) return;
    this.pods.delete(key);
    this.podsByNamespace.get(old.namespace)!.delete(key);
    this.podChanged(key, old, undefined, changes);
    this.podPolicyLists.delete(key);
    this.ref(old.namespace, -1);
  }

  /** Brings terms, selections and named ports up to date for one pod, marking what changes. */
  private podChanged(
    key: string,
    old: PodInfo | undefined,
    pod: PodInfo | undefined,
    changes: Changes,
  ): void {
    const ipChanged = old !== undefined && pod !== undefined && old.ip !== pod.ip;
    if (old === undefined || pod === undefined || old.hostNetwork !== pod.hostNetwork) {
      for (const d of DIRECTIONS) changes.mark(key, d);
    }
    const termsBefore = this.podTerms.get(key) ?? NO_TERMS;
    this.updateTerms(key, pod, ipChanged, changes);
    const termsAfter = this.podTerms.get(key) ?? NO_TERMS;
    this.updateNamedPorts(key, { old, pod, ipChanged, termsBefore, termsAfter }, changes);
    if (old !== undefined && pod !== undefined && !pod.hostNetwork && !old.hostNetwork) {
      this.markOwnIngressPorts(key, old, pod, changes);
    }
  }

  /** `after`, when given, is the pod's terms now (a namespace relabel knows which can change). */
  private updateTerms(
    key: string,
    pod: PodInfo | undefined,
    ipChanged: boolean,
    changes: Changes,
    known?: Set<Term>,
  ): void {
    const before = this.podTerms.get(key) ?? new Set<Term>();
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
    const touched: Term[] = [];
    for (const term of before) {
      if (!after.has(term)) {
        term.members.delete(key);
        touched.push(term);
      } else if (ipChanged) touched.push(term);
    }
    for (const term of after) {
      if (!before.has(term)) {
        term.members.add(key);
        touched.push(term);
      }
    }
    if (after.size > 0) this.podTerms.set(key, after);
    else this.podTerms.delete(key);

    const rules = new Set<LiveRule>();
    for (const term of touched) {
      for (const rule of term.rules) rules.add(rule);
      if (before.has(term) === after.has(term)) continue;
      for (const policy of term.selectsFor) {
        this.select(key, policy, after.has(term));
        for (const d of policy.types) changes.mark(key, d);
      }
    }
    const marked = new Set<string>();
    for (const rule of rules) {
      const terms = (rule.peers as { terms: Term[] }).terms;
      const was = terms.some((t) => before.has(t));
      const is = terms.some((t) => after.has(t));
      const id = `${rule.policy.key}\u0000${rule.direction}`;
      if ((was !== is || (is && ipChanged)) && !marked.has(id)) {
        marked.add(id);
        changes.markSelected(rule.policy, rule.direction);
      }
    }
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

  /**
   * Keeps namedPortPods current for one pod and marks the egress sides whose named ports list it
   * differently: a rule naming a changed name lists the pod iff its peers admit it (before and
   * after the event, each with the pod's terms and address then).
   */
  private updateNamedPorts(key: string, change: PodNamedPortChange, changes: Changes): void {
    const { old, pod, ipChanged } = change;
    const ownBefore = old === undefined ? NO_NAMED_PORTS : podNamedPorts(old);
    const ownAfter = pod === undefined ? NO_NAMED_PORTS : podNamedPorts(pod);
    const entries = (own: Map<string, number[]>): Set<string> => {
      const out = new Set<string>();
      for (const [name, numbers] of own) for (const n of numbers) out.add(`${n}\u0000${name}`);
      return out;
    };
    const before = entries(ownBefore);
    const after = entries(ownAfter);
    const names = new Set<string>();
    for (const e of before) {
      if (after.has(e) && !ipChanged) continue;
      names.add(e.slice(e.indexOf('\u0000') + 1));
      if (!after.has(e)) this.namedPort(e, key, false);
    }
    for (const e of after) {
      if (before.has(e) && !ipChanged) continue;
      names.add(e.slice(e.indexOf('\u0000') + 1));
      if (!before.has(e)) this.namedPort(e, key, true);
    }
    if (names.size === 0) return;
    // Rules with ipBlocks list the pods inside them: an address change can change those lists.
    if (ipChanged) this.namedPortVersion++;
    const rules = new Set<LiveRule>();
    for (const name of names) {
      const users = this.egressNameUsers.get(name);
      if (users === undefined) continue;
      for (const rule of users.always) rules.add(rule);
      for (const terms of [change.termsBefore, change.termsAfter]) {
        for (const term of terms) for (const rule of users.byTerm.get(term) ?? []) rules.add(rule);
      }
    }
    if (rules.size === 0) return;
    const ipBefore = old === undefined ? undefined : podIpOrThrow(old);
    const ipAfter = pod === undefined ? undefined : podIpOrThrow(pod);
    for (const rule of rules) {
      const listedBefore = listing(rule, ownBefore, change.termsBefore, ipBefore);
      const listedAfter = listing(rule, ownAfter, change.termsAfter, ipAfter);
      // An address change shows wherever the pod is listed (the agent's maps hold addresses).
      const differs = ipChanged ? listedBefore !== '' || listedAfter !== '' : listedBefore !== listedAfter;
      if (differs) changes.markSelected(rule.policy, 'Egress');
    }
  }

  private namedPort(entry: string, pod: string, present: boolean): void {
    const cut = entry.indexOf('\u0000');
    const number = Number(entry.slice(0, cut));
    const name = entry.slice(cut + 1);
    this.namedPortVersion++;
    let exposed = this.namedPortPods.get(name);
    if (present) {
      if (exposed === undefined)
        this.namedPortPods.set(name, (exposed = { byNumber: new Map(), byPort: undefined }));
      let pods = exposed.byNumber.get(number);
      if (pods === undefined) exposed.byNumber.set(number, (pods = new SortedKeys()));
      pods.add(pod);
      exposed.byPort = undefined;
      return;
    }
    if (exposed === undefined) return;
    const pods = exposed.byNumber.get(number);
    pods?.delete(pod);
    if (pods?.size === 0) exposed.byNumber.delete(number);
    if (exposed.byNumber.size === 0) this.namedPortPods.delete(name);
    exposed.byPort = undefined;
  }

  /** An ingress named port resolves on the pod itself: its side changes when the resolution does. */
  private markOwnIngressPorts(key: string, old: PodInfo, pod: PodInfo, changes: Changes): void {
    const before = podNamedPorts(old);
    const after = podNamedPorts(pod);
    if (JSON.stringify([...before]) === JSON.stringify([...after])) return;
    for (const policy of this.podPolicies.get(key) ?? []) {
      for (const rule of policy.rules.Ingress) {
        if (rule.ports === 'any' || !rule.ports.some((m) => m.kind === 'named')) continue;
        if (
          JSON.stringify(compileIngressPorts(rule.ports, before)) !==
          JSON.stringify(compileIngressPorts(rule.ports, after))
        ) {
          changes.mark(key, 'Ingress');
          return;
        }
      }
    }
  }

  // ---- namespaces ----

  private upsertNamespace(info: NamespaceInfo, changes: Changes): void {
    const ns = this.ensureNamespace(info.name);
    ns.source = info;
    this.relabel(info.name, copyRecord(info.labels, [NAMESPACE_NAME_LABEL, info.name]), changes);
  }

  private deleteNamespace(name: string, changes: Changes): void {
    const ns = this.namespaces.get(name);
    if (ns === undefined) return;
    ns.source = undefined;
    if (ns.refs === 0) this.dropNamespace(name);
    else this.relabel(name, defaultLabels(name), changes);
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

  private relabel(name: string, labels: Labels, changes: Changes): void {
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
      this.updateTerms(key, pod, false, changes, after);
    }
  }

  // ---- policies ----

  private upsertPolicy(source: NetworkPolicy, changes: Changes): void {
    const key = policyKey(source);
    const parsed = parsePolicy(source);
    const old = this.policies.get(key);
    if (old === undefined) this.ref(source.metadata.namespace, +1);
    const policy = this.acquire(key, source, parsed);
    this.policies.set(key, policy);
    for (const d of DIRECTIONS) this.markPolicyChange(old, policy, d, changes);
    if (old !== undefined) this.release(old);
    this.register(policy);
  }

  private deletePolicy(key: string, changes: Changes): void {
    const old = this.policies.get(key);
    if (old === undefined) return;
    for (const d of DIRECTIONS) changes.markSelected(old, d);
    this.policies.delete(key);
    this.release(old);
    this.ref(old.source.metadata.namespace, -1);
  }

  /** Pods entering or leaving the selection change; pods in both change iff the rules compile differently. */
  private markPolicyChange(
    old: LivePolicy | undefined,
    policy: LivePolicy,
    d: Direction,
    changes: Changes,
  ): void {
    const before = old !== undefined && old.types.includes(d) ? old.selects.members : new Set<string>();
    const after = policy.types.includes(d) ? policy.selects.members : new Set<string>();
    for (const pod of before) if (!after.has(pod)) changes.mark(pod, d);
    for (const pod of after) if (!before.has(pod)) changes.mark(pod, d);
    if (old === undefined) return;
    const same = this.sameRules(old.rules[d], policy.rules[d], d);
    if (same === true) return;
    for (const pod of after) {
      if (!before.has(pod)) continue;
      if (same === false) changes.mark(pod, d);
      else {
        const own = podNamedPorts(this.pods.get(pod)!);
        const differs = old.rules[d].some(
          (r, i) =>
            JSON.stringify(compileIngressPorts(r.ports, own)) !==
            JSON.stringify(compileIngressPorts(policy.rules[d][i]!.ports, own)),
        );
        if (differs) changes.mark(pod, d);
      }
    }
  }

  /** true: every selected pod compiles the same; false: every one differs; 'per-pod': ingress named ports decide. */
  private sameRules(a: LiveRule[], b: LiveRule[], d: Direction): boolean | 'per-pod' {
    if (a.length !== b.length) return false;
    let perPod = false;
    for (let i = 0; i < a.length; i++) {
      const [x, y] = [a[i]!, b[i]!];
      if (!samePeers(x.peers, y.peers)) return false;
      if (d === 'Egress') {
        if (JSON.stringify(this.egressPortShape(x.ports)) !== JSON.stringify(this.egressPortShape(y.ports)))
          return false;
      } else if (JSON.stringify(x.ports) !== JSON.stringify(y.ports)) perPod = true;
    }
    return perPod ? 'per-pod' : true;
  }

  private acquire(key: string, source: NetworkPolicy, parsed: ParsedPolicy): LivePolicy {
    const namespace = source.metadata.namespace;
    const policy: LivePolicy = {
      key,
      source,
      types: parsed.types,
      selects: this.term(namespace, undefined, parsed.podSelector),
      rules: { Ingress: [], Egress: [] },
    };
    for (const d of DIRECTIONS) {
      policy.rules[d] = parsed.rules[d].map((r, ruleIndex) => ({
        policy,
        direction: d,
        ref: { policy: key, direction: d, ruleIndex },
        peers:
          r.peers === 'any'
            ? 'any'
            : {
                terms: r.peers.selectors.map((s) => this.term(namespace, s.namespaceSelector, s.podSelector)),
                ipBlocks: r.peers.ipBlocks,
              },
        ports: r.ports,
        union: undefined,
        namedPorts: r.ports !== 'any' && r.ports.some((m) => m.kind === 'named'),
        names: d === 'Egress' ? namesOf(r.ports) : [],
        compiled: undefined,
      }));
    }
    return policy;
  }

  /** Hooks a policy acquired (and compared) into its terms and the named-port users. */
  private register(policy: LivePolicy): void {
    policy.selects.selectsFor.add(policy);
    for (const pod of policy.selects.members) this.select(pod, policy, true);
    for (const d of DIRECTIONS) {
      for (const rule of policy.rules[d]) {
        if (rule.peers !== 'any') for (const t of rule.peers.terms) t.rules.add(rule);
      }
    }
    for (const rule of policy.rules.Egress) {
      for (const name of rule.names) {
        let users = this.egressNameUsers.get(name);
        if (users === undefined)
          this.egressNameUsers.set(name, (users = { always: new Set(), byTerm: new Map() }));
        if (rule.peers === 'any' || rule.peers.ipBlocks.length > 0) users.always.add(rule);
        else {
          for (const term of rule.peers.terms) {
            let list = users.byTerm.get(term);
            if (list === undefined) users.byTerm.set(term, (list = new Set()));
            list.add(rule);
          }
        }
      }
    }
  }

  private release(policy: LivePolicy): void {
    policy.selects.selectsFor.delete(policy);
    for (const pod of policy.selects.members) this.select(pod, policy, false);
    this.unuse(policy.selects);
    for (const d of DIRECTIONS) {
      for (const rule of policy.rules[d]) {
        if (rule.peers === 'any') continue;
        for (const t of rule.peers.terms) {
          t.rules.delete(rule);
          this.unuse(t);
        }
      }
    }
    for (const rule of policy.rules.Egress) {
      for (const name of rule.names) {
        const users = this.egressNameUsers.get(name)!;
        users.always.delete(rule);
        if (rule.peers !== 'any') {
          for (const term of rule.peers.terms) {
            const list = users.byTerm.get(term);
            list?.delete(rule);
            if (list?.size === 0) users.byTerm.delete(term);
          }
        }
        if (users.always.size === 0 && users.byTerm.size === 0) this.egressNameUsers.delete(name);
      }
    }
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
      key: selector.key,
      namespace,
      group,
      selector,
      members: new SortedKeys(),
      users: 0,
      rules: new Set(),
      selectsFor: new Set(),
    };
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

  private unuse(term: Term): void {
    if (--term.users > 0) return;
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

  // ---- ports ----

  private egressPorts(rule: LiveRule): 'any' | (CompiledPortRange | KeyedNamedPort)[] {
    if (rule.ports === 'any') return 'any';
    const { ranges, names } = this.egressPortShape(rule.ports) as {
      ranges: CompiledPortRange[];
      names: [string, PortMatcher][];
    };
    const named = names.map(([key, m]): KeyedNamedPort => ({
      kind: 'named',
      protocol: m.protocol,
      name: (m as { name: string }).name,
      byPort: this.admittedByPort(rule, key),
    }));
    return [...ranges, ...named];
  }

  /** Per port number, the pods exposing `name` that `rule`'s peers admit (compile.ts's byPort). */
  private admittedByPort(rule: LiveRule, name: string): readonly { port: number; pods: readonly string[] }[] {
    const entry = this.namedPortPods.get(name);
    if (entry === undefined) return [];
    const all = (entry.byPort ??= [...entry.byNumber]
      .map(([port, pods]) => ({ port, pods: pods.sorted() }))
      .sort((a, b) => a.port - b.port));
    if (rule.peers === 'any') return all;
    const { terms, ipBlocks } = rule.peers;
    const inTerms = (pod: string): boolean => terms.some((t) => t.members.has(pod));
    const out: { port: number; pods: readonly string[] }[] = [];
    for (const { port, pods } of all) {
      let kept: readonly string[];
      if (ipBlocks.length > 0) {
        kept = pods.filter((p) => inTerms(p) || inBlocks(ipBlocks, podIpOrThrow(this.pods.get(p)!)));
      } else {
        // Walk the smaller list; both are sorted, so the result is.
        const peers = ruleMembers(rule);
        const exposing = entry.byNumber.get(port)!;
        kept = peers.length <= pods.length ? peers.filter((p) => exposing.has(p)) : pods.filter(inTerms);
      }
      if (kept.length > 0) out.push({ port, pods: kept });
    }
    return out;
  }

  /** What an egress rule's ports compile to apart from who exposes the names. */
  private egressPortShape(
    ports: 'any' | PortMatcher[],
  ): 'any' | { ranges: CompiledPortRange[]; names: [string, PortMatcher][] } {
    if (ports === 'any') return 'any';
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
}

function defaultLabels(name: string): Labels {
  return copyRecord({}, [NAMESPACE_NAME_LABEL, name]);
}

const NO_NAMED_PORTS = new Map<string, number[]>();
const NO_TERMS: ReadonlySet<Term> = new Set();

/** One pod's event as updateNamedPorts needs it: the pod and its terms before and after. */
interface PodNamedPortChange {
  old: PodInfo | undefined;
  pod: PodInfo | undefined;
  ipChanged: boolean;
  termsBefore: ReadonlySet<Term>;
  termsAfter: ReadonlySet<Term>;
}

/** The namedPortKeys `ports` name, each once, in order. */
function namesOf(ports: 'any' | PortMatcher[]): string[] {
  if (ports === 'any') return [];
  const names = new Set<string>();
  for (const m of ports) if (m.kind === 'named') names.add(namedPortKey(m.protocol, m.name));
  return [...names];
}

function inBlocks(blocks: readonly IndexedIpBlock[], ip: IpAddress | undefined): boolean {
  return ip !== undefined && blocks.some((b) => ipBlockContains(b.parsed, ip));
}

/**
 * How `rule`'s named ports list a pod with named ports `own`, terms `terms` and address `ip`: its
 * (name, number) entries when the rule's peers admit it, else ''.
 */
function listing(
  rule: LiveRule,
  own: ReadonlyMap<string, number[]>,
  terms: ReadonlySet<Term>,
  ip: IpAddress | undefined,
): string {
  const peers = rule.peers;
  const admitted = peers === 'any' || peers.terms.some((t) => terms.has(t)) || inBlocks(peers.ipBlocks, ip);
  if (!admitted) return '';
  let out = '';
  for (const name of rule.names) {
    const numbers = own.get(name);
    if (numbers !== undefined) out += `${name}\u0000${numbers.join(',')}\u0001`;
  }
  return out;
}

function rulePeers(rule: LiveRule): KeyedRule['peers'] {
  return rule.peers === 'any' ? 'any' : { pods: ruleMembers(rule), ipBlocks: rule.peers.ipBlocks };
}

function sortedUnion(terms: readonly Term[]): readonly string[] {
  let out: readonly string[] = [];
  for (const t of terms) out = out.length === 0 ? t.members.sorted() : mergeSorted(out, t.members.sorted());
  return out;
}

/** A rule's peer pods, sorted; cached while its terms' members stay the same. */
function ruleMembers(rule: LiveRule): readonly string[] {
  const terms = (rule.peers as { terms: Term[] }).terms;
  if (terms.length === 1) return terms[0]!.members.sorted();
  const cached = rule.union;
  if (cached !== undefined && terms.every((t, i) => t.members.version === cached.versions[i]))
    return cached.pods;
  const pods = sortedUnion(terms);
  rule.union = { versions: terms.map((t) => t.members.version), pods };
  return pods;
}

function samePeers(a: LiveRule['peers'], b: LiveRule['peers']): boolean {
  if (a === 'any' || b === 'any') return a === b;
  const text = (blocks: IndexedIpBlock[]) => JSON.stringify(blocks.map((x) => [x.cidr, x.except]));
  if (text(a.ipBlocks) !== text(b.ipBlocks)) return false;
  const ta = new Set(a.terms);
  if (b.terms.every((t) => ta.has(t)) && a.terms.every((t) => b.terms.includes(t))) return true;
  const pa = sortedUnion(a.terms);
  const pb = sortedUnion(b.terms);
  return pa.length === pb.length && pa.every((p, i) => p === pb[i]);
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
