/**
 * The Enforcer keeps one node's eBPF maps equal to the engine's answer. It owns the LiveIndex of
 * the cluster (fed one object event at a time), the identity allocator, the ipcache it wrote, and
 * the local endpoints (a local pod: spec.nodeName is this node, not hostNetwork, with a podIP).
 *
 * Identities are per class of pods, not per pod (Cilium's identity per set of selector-relevant
 * labels, made exact): a pod's class is the set of selectors it is in among those the local sides
 * name, with its numbers for each named-port selector (LiveIndex.classOf). Everything a rule can
 * tell apart is in it: namespace, namespace labels and pod labels through the term selectors, the
 * named ports it exposes, and which ipBlocks (so which refined prefixes) its address falls in.
 * Rules list class identities, so a pod added, deleted or relabelled elsewhere costs one ipcache
 * write per address when its class exists, and, when it makes a new class (or empties one), a rule
 * swap on each local side naming one of that class's selectors; a selector delta for a selector
 * no local side names (and no class holds) costs nothing.
 *
 * Level-based and coalescing: an event updates the index at once and marks what it touched (the
 * pods to re-class and re-address, the local sides whose structure changed); flush() then brings
 * the maps to the current state in one pass, so a burst of events costs one pass, and a failed pass
 * is retried whole (every write is idempotent). One pass at a time.
 *
 * The order of a pass is what keeps a change from opening a window:
 *   1. ipcache entries of ipBlock prefixes (a new prefix only narrows what its parent stands for;
 *      a side that should admit it is at worst late to, never early);
 *   2. each changed side: rules swapped (atomically) before its direction turns isolated, cleared
 *      only after it turns open; a new endpoint is "not ready" (closed both ways) from before its
 *      programs attach until both of its rule sets are in place;
 *   3. ipcache entries of pods (an address moves to a class identity only once the rules naming
 *      that class exist; until then it keeps the identity it had, or, for a new pod, means what the
 *      ipBlocks say, which is what the evaluator says of it too);
 *   4. ipcache entries no longer wanted are deleted;
 *   5. classes emptied in the pass stay in the rules until here (a pod moving to another class
 *      keeps its old identity's rules until its address moves): the sides naming them are
 *      rewritten without them, then their identities are released (so a new class can never
 *      inherit rules written for an old one).
 *
 * Restart: adopt() reads the pinned ipcache and endpoints before the first pass; each class takes
 * the identity its first pod's address held (the others held are reserved until the first pass has
 * rewritten every local rule set), adopted endpoints are not closed again, and the first pass writes
 * only differences and removes what no longer exists. An adopted endpoint's flags are unknown, so
 * its first write takes the order safe from any of them: an enforced side's rules before the
 * flags, an audited side's flags (ISOLATED|AUDIT) before its rules.
 *
 * Audit mode (issue 10): a local side no enforced policy isolates but audit-mode policies select
 * (LiveIndex.auditStructure) is written as their rules with the direction's ISOLATED and AUDIT
 * flags: the kernel passes what those rules would drop and reports it as WOULD_DROP, which the flow
 * reporter names with the side's audit policies (auditPoliciesOf). Switching a side between audit
 * and enforced never drops an allowed flow nor opens the side: enforced -> audit sets the AUDIT flag
 * before the rules are swapped, audit -> enforced swaps the rules (still audited) before the flag
 * goes.
 *
 * ipBlocks match pod IPs (the evaluator's semantics) through the pod's primary IP (status.podIP),
 * as the evaluator does; a dual-stack pod's other address carries the same identity.
 */
import type { Logger } from 'pino';
import { DIRECTION, IDENTITY } from '../adapters/bpf/abi';
import type { EndpointState, PolicyRule } from '../adapters/bpf/bpf-dataplane';
import { refineIpBlocks } from '../adapters/bpf/ipblock-refinement';
import { formatPrefix, parseCidr } from '../adapters/bpf/prefix128';
import { type IndexEvent, type IndexReport, LiveIndex, type SelectorSide } from '../core/evaluator';
import type { Direction } from '../core/evaluator';
import { IdentityAllocator } from './identity-allocator';
import type { FindHostVeth } from './host-veth';
import { type IpBlockRef, type PeerClassView, sideRules } from './side-rules';

/** What the Enforcer needs of the dataplane (BpfDataplane has it). */
export interface DataplaneMaps {
  attach(netns: string, ifname: string): Promise<number>;
  setEndpoint(ifindex: number, state: EndpointState): Promise<void>;
  removeEndpoint(ifindex: number): Promise<void>;
  setIdentities(entries: readonly { cidr: string; identity: number }[]): Promise<void>;
  removeIdentities(cidrs: readonly string[]): Promise<void>;
  swapRules(endpointId: number, direction: 0 | 1, rules: readonly PolicyRule[]): Promise<number>;
  clearRules(endpointId: number, direction: 0 | 1): Promise<void>;
  readIdentities(): Promise<{ cidr: string; identity: number }[]>;
  endpointIfindexes(): Promise<number[]>;
}

/** What the agent knows of every pod in the cluster beyond the engine's PodInfo. */
export interface PodFacts {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly nodeName: string | undefined;
  readonly hostNetwork: boolean;
  /** status.podIPs (the primary first). */
  readonly ips: readonly string[];
}

export interface EnforcerOptions {
  readonly dataplane: DataplaneMaps;
  readonly findHostVeth: FindHostVeth;
  readonly nodeName: string;
  readonly nodeNetns: string;
  readonly nodeAddresses: readonly string[];
  readonly log: Logger;
}

/** A class of pods (see the header) and its identity. */
interface PeerClass extends PeerClassView {
  readonly key: string;
  readonly pods: Set<string>;
  readonly aliases: number[];
}

interface LocalEndpoint {
  readonly ifname: string;
  readonly ifindex: number;
  readonly ip: string;
  /** Per direction, what its flags say now (audit implies isolated). */
  flags: Record<Direction, SideFlags>;
  /** Per direction, the audit policies ("namespace/name") of an audited side (none otherwise). */
  auditPolicies: Record<Direction, readonly string[]>;
  ready: boolean;
  /** Left by a previous agent and not written yet: what its flags and rules hold is unknown. */
  adopted: boolean;
}

interface SideFlags {
  readonly isolated: boolean;
  readonly audit: boolean;
}

/** A local side as written: the enforced structure, or the audit one (`audit`). */
interface LocalSide extends SelectorSide {
  readonly audit: boolean;
}

const OPEN: SideFlags = { isolated: false, audit: false };
const NO_POLICIES: readonly string[] = [];

const DIRECTIONS: readonly Direction[] = ['Ingress', 'Egress'];
const DIRECTION_CODE = { Ingress: DIRECTION.INGRESS, Egress: DIRECTION.EGRESS } as const;

const hostPrefix = (ip: string): string => formatPrefix(parseCidr(ip));
const sideKey = (pod: string, direction: Direction): string => `${direction}\u0000${pod}`;

function endpointState(endpointId: number, flags: Record<Direction, SideFlags>): EndpointState {
  return {
    endpointId,
    ready: true,
    ingressIsolated: flags.Ingress.isolated,
    egressIsolated: flags.Egress.isolated,
    ingressAudit: flags.Ingress.audit,
    egressAudit: flags.Egress.audit,
  };
}

function blockText(block: IpBlockRef): string {
  return `${block.cidr}\u0000${[...block.except].sort().join(',')}`;
}

export class Enforcer {
  readonly index = LiveIndex.build({ namespaces: [], pods: [], policies: [], workloads: [], services: [] });
  private readonly identities = new IdentityAllocator();
  private readonly facts = new Map<string, PodFacts>();
  private readonly podByIp = new Map<string, string>();
  private readonly endpoints = new Map<string, LocalEndpoint>();
  private readonly podByEndpoint = new Map<number, string>();
  private readonly adoptedEndpoints = new Set<number>();
  /** What the ipcache holds (as this agent wrote or adopted it). */
  private readonly written = new Map<string, number>();
  /** Wanted ipcache entries of pod addresses (host prefix -> class identity). */
  private readonly podEntries = new Map<string, number>();
  /** The host prefixes each pod's entries were made for. */
  private readonly podCidrs = new Map<string, string[]>();
  private cidrEntries = new Map<string, number>();
  private readonly blockIds = new Map<string, readonly number[]>();
  /** Blocks of each local side's current rules (key: sideKey). */
  private readonly sideBlocks = new Map<string, IpBlockRef[]>();
  /** The selectors each local side's rules name, and the local sides naming each selector. */
  private readonly sideSelectors = new Map<string, number[]>();
  private readonly selectorSides = new Map<number, Set<string>>();
  private readonly classes = new Map<string, PeerClass>();
  private readonly podClass = new Map<string, PeerClass>();
  /** The classes holding each selector. */
  private readonly selectorClasses = new Map<number, Set<PeerClass>>();
  /** Emptied classes, taken out of the rules (and their identity released) at the end of a pass. */
  private readonly emptied: PeerClass[] = [];
  /** Emptied classes out of the maps whose identity is released once their sides are rewritten. */
  private readonly releasing: PeerClass[] = [];
  /** Classes whose rules also list identities their pods held before a restart (first pass). */
  private readonly aliased: PeerClass[] = [];
  /** Identities the pinned ipcache gave pods, held until a class claims them or the first pass ends. */
  private readonly reserved = new Set<number>();
  private readonly reclass = new Set<string>();
  private blockUnion = '';
  private readonly dirtyPods = new Set<string>();
  private readonly dirtySides = new Set<string>();
  private readonly dirtyCidrs = new Set<string>();
  private needsSweep = false;
  private readonly log: Logger;

  constructor(private readonly options: EnforcerOptions) {
    this.log = options.log.child({ component: 'enforcer' });
    for (const address of options.nodeAddresses) {
      this.cidrEntries.set(hostPrefix(address), IDENTITY.HOST);
      this.dirtyCidrs.add(hostPrefix(address));
    }
  }

  /** Reads the pinned maps a previous agent left (before the first flush). */
  async adopt(): Promise<void> {
    for (const { cidr, identity } of await this.options.dataplane.readIdentities()) {
      this.written.set(cidr, identity);
      this.dirtyCidrs.add(cidr);
    }
    for (const ifindex of await this.options.dataplane.endpointIfindexes())
      this.adoptedEndpoints.add(ifindex);
    this.needsSweep = true;
    this.log.info(
      { identities: this.written.size, endpoints: this.adoptedEndpoints.size },
      'pinned maps adopted',
    );
  }

  /**
   * Identities the pinned ipcache gave prefixes (adopted) and pods (reserved for their classes),
   * once the cluster is known.
   */
  private adoptIdentities(): void {
    for (const [cidr, identity] of this.written) {
      if (identity < IDENTITY.FIRST_DYNAMIC) continue;
      if (this.podByIp.has(cidr)) {
        if (this.identities.adopt(`reserved:${identity}`, identity)) this.reserved.add(identity);
      } else this.identities.adopt(`cidr:${cidr}`, identity);
    }
  }

  // ---- events ----

  /** Applies one change to the index and marks what it touched; flush() writes it. */
  apply(event: IndexEvent, facts?: PodFacts): void {
    if (event.kind === 'pod-upsert' || event.kind === 'pod-delete') {
      const key =
        event.kind === 'pod-upsert'
          ? `${event.pod.namespace}/${event.pod.name}`
          : `${event.namespace}/${event.name}`;
      const report = this.index.apply(event);
      this.setFacts(key, event.kind === 'pod-upsert' ? facts : undefined);
      this.dirtyPods.add(key);
      this.reclass.add(key);
      this.markSides(report);
      return;
    }
    this.markSides(this.index.apply(event));
  }

  /** The pods known now, for a relist to tell which ones disappeared. */
  podKeys(): string[] {
    return [...this.facts.keys()];
  }

  podOf(address: string): PodFacts | undefined {
    const key = this.podByIp.get(hostPrefix(address));
    return key === undefined ? undefined : this.facts.get(key);
  }

  podOfEndpoint(endpointId: number): PodFacts | undefined {
    const key = this.podByEndpoint.get(endpointId);
    return key === undefined ? undefined : this.facts.get(key);
  }

  /**
   * The audit-mode policies ("namespace/name") whose rules the endpoint's side for `direction` is
   * written with: what a WOULD_DROP event of that side would have been dropped by. Empty when the
   * side is not audited (an event can trail a switch to enforcement).
   */
  auditPoliciesOf(endpointId: number, direction: 'ingress' | 'egress'): readonly string[] {
    const key = this.podByEndpoint.get(endpointId);
    const endpoint = key === undefined ? undefined : this.endpoints.get(key);
    return endpoint?.auditPolicies[direction === 'ingress' ? 'Ingress' : 'Egress'] ?? NO_POLICIES;
  }

  /** Something left to write (or a local pod whose host veth is not there yet). */
  get pending(): boolean {
    return (
      this.dirtyPods.size > 0 || this.dirtySides.size > 0 || this.dirtyCidrs.size > 0 || this.reclass.size > 0
    );
  }

  get endpointCount(): number {
    return this.endpoints.size;
  }

  /** Classes of pods (each an identity) in use. */
  get classCount(): number {
    return this.classes.size;
  }

  /** The local pods whose programs are attached, with their endpoint id (metrics read its counters). */
  localEndpoints(): { namespace: string; name: string; endpointId: number }[] {
    return [...this.endpoints].map(([pod, endpoint]) => {
      const slash = pod.indexOf('/');
      return { namespace: pod.slice(0, slash), name: pod.slice(slash + 1), endpointId: endpoint.ifindex };
    });
  }

  private setFacts(key: string, facts: PodFacts | undefined): void {
    const old = this.facts.get(key);
    for (const ip of old?.ips ?? []) {
      if (this.podByIp.get(hostPrefix(ip)) === key) this.podByIp.delete(hostPrefix(ip));
    }
    if (facts === undefined) this.facts.delete(key);
    else {
      this.facts.set(key, facts);
      if (!facts.hostNetwork) for (const ip of facts.ips) this.podByIp.set(hostPrefix(ip), key);
    }
  }

  /**
   * Local sides whose structure changed are rewritten; pods entering or leaving a selector that
   * matters here (a local side names it, or a class holds it), or whose address or named ports
   * changed, are classed again. Deltas of other selectors cost nothing.
   */
  private markSides(report: IndexReport): void {
    for (const { pod, direction } of report.sides) {
      if (this.endpoints.has(pod)) this.dirtySides.add(sideKey(pod, direction));
    }
    for (const { selector, entered, left } of report.selectors) {
      if (!this.selectorSides.has(selector) && !this.selectorClasses.has(selector)) continue;
      for (const pod of entered) this.reclass.add(pod);
      for (const pod of left) this.reclass.add(pod);
    }
    for (const pod of report.pods) {
      this.reclass.add(pod);
      this.dirtyPods.add(pod);
    }
  }

  /** Records which selectors a local side's rules name (so their deltas find it). */
  private trackSelectors(key: string, side: SelectorSide | undefined): void {
    for (const selector of this.sideSelectors.get(key) ?? []) {
      const sides = this.selectorSides.get(selector)!;
      sides.delete(key);
      if (sides.size === 0) this.selectorSides.delete(selector);
    }
    const ids = new Set<number>();
    for (const rule of side?.rules ?? []) {
      if (rule.peers !== 'any') {
        for (const s of rule.peers.selectors) ids.add(s);
        for (const b of rule.peers.ipBlocks) ids.add(b.selector);
      }
      if (rule.ports !== 'any') for (const p of rule.ports) if (p.kind === 'named') ids.add(p.selector);
    }
    if (ids.size === 0) this.sideSelectors.delete(key);
    else this.sideSelectors.set(key, [...ids]);
    for (const selector of ids) {
      let sides = this.selectorSides.get(selector);
      if (sides === undefined) {
        this.selectorSides.set(selector, (sides = new Set()));
        // Newly relevant here: its pods' classes now tell it apart.
        for (const pod of this.index.members(selector)) this.reclass.add(pod);
      }
      sides.add(key);
    }
  }

  private isLocal(facts: PodFacts | undefined): facts is PodFacts {
    return (
      facts !== undefined &&
      facts.nodeName === this.options.nodeName &&
      !facts.hostNetwork &&
      facts.ips.length > 0
    );
  }

  // ---- the pass ----

  /** Brings the maps to the current state; throws (leaving the work marked) when a write fails. */
  async flush(): Promise<void> {
    if (this.needsSweep) this.adoptIdentities();
    const pods = new Set(this.dirtyPods);
    const sides = new Set(this.dirtySides);
    const cidrs = new Set(this.dirtyCidrs);
    this.dirtyPods.clear();
    this.dirtySides.clear();
    this.dirtyCidrs.clear();
    try {
      await this.pass(pods, sides, cidrs);
    } catch (err) {
      for (const pod of pods) this.dirtyPods.add(pod);
      for (const side of sides) this.dirtySides.add(side);
      for (const cidr of cidrs) this.dirtyCidrs.add(cidr);
      throw err;
    }
  }

  private async pass(pods: Set<string>, sides: Set<string>, cidrs: Set<string>): Promise<void> {
    const dataplane = this.options.dataplane;
    // Local endpoints appearing or going.
    const retired: LocalEndpoint[] = [];
    for (const pod of pods) {
      const facts = this.facts.get(pod);
      const endpoint = this.endpoints.get(pod);
      const local = this.isLocal(facts) ? facts : undefined;
      if (endpoint !== undefined && endpoint.ip !== local?.ips[0]) {
        this.endpoints.delete(pod);
        this.podByEndpoint.delete(endpoint.ifindex);
        retired.push(endpoint);
      }
      if (local !== undefined && !this.endpoints.has(pod)) {
        if (await this.addEndpoint(pod, local)) for (const d of DIRECTIONS) sides.add(sideKey(pod, d));
        else this.dirtyPods.add(pod); // the host veth is not there yet: tried again on the next pass
      }
    }

    // Structures of the changed sides (which may make selectors relevant), then classes (which may
    // add sides to rewrite), until both settle.
    const structures = new Map<string, LocalSide>();
    const structure = (key: string): void => {
      if (structures.has(key)) return;
      const [direction, pod] = key.split('\u0000') as [Direction, string];
      if (!this.endpoints.has(pod) || !this.index.has(pod)) {
        this.sideBlocks.delete(key);
        this.trackSelectors(key, undefined);
        return;
      }
      const side = this.sideOf(pod, direction);
      structures.set(key, side);
      this.trackSelectors(key, side);
      const blocks = side.rules.flatMap((rule) =>
        rule.peers === 'any' ? [] : rule.peers.ipBlocks.map((b) => b.block),
      );
      if (blocks.length > 0) this.sideBlocks.set(key, blocks);
      else this.sideBlocks.delete(key);
    };
    for (const key of sides) structure(key);
    while (this.reclass.size > 0) {
      const batch = [...this.reclass];
      this.reclass.clear();
      for (const pod of batch) {
        const moved = this.classify(pod, sides);
        if (moved) pods.add(pod);
      }
      for (const key of sides) structure(key);
    }
    if (this.reserved.size > 0) {
      this.aliasReserved(sides);
      for (const key of sides) structure(key);
    }

    // Addresses: each pod's host prefixes to its class identity.
    for (const pod of pods) {
      const facts = this.facts.get(pod);
      const identity = this.podClass.get(pod)?.identity;
      const addresses =
        facts === undefined || facts.hostNetwork || identity === undefined ? [] : facts.ips.map(hostPrefix);
      for (const cidr of this.podCidrs.get(pod) ?? []) {
        if (addresses.includes(cidr)) continue;
        // Unless another pod took the address (and sets its own entry).
        const owner = this.podByIp.get(cidr);
        if (owner !== undefined && owner !== pod) continue;
        this.podEntries.delete(cidr);
        cidrs.add(cidr);
      }
      if (addresses.length === 0) this.podCidrs.delete(pod);
      else {
        this.podCidrs.set(pod, addresses);
        for (const cidr of addresses) {
          this.podEntries.set(cidr, identity!);
          cidrs.add(cidr);
        }
      }
    }

    // A change of the ipBlocks in use re-refines them, and every side with blocks is rewritten.
    if (this.refine(cidrs)) for (const key of this.sideBlocks.keys()) sides.add(key);
    for (const key of sides) structure(key);

    // 1. ipBlock prefixes.
    const prefixWrites: { cidr: string; identity: number }[] = [];
    const podWrites: { cidr: string; identity: number }[] = [];
    const deletes: string[] = [];
    for (const cidr of cidrs) {
      const pod = this.podEntries.get(cidr);
      const wanted = pod ?? this.cidrEntries.get(cidr);
      if (wanted === undefined) {
        if (this.written.has(cidr)) deletes.push(cidr);
      } else if (this.written.get(cidr) !== wanted) {
        (pod === undefined ? prefixWrites : podWrites).push({ cidr, identity: wanted });
      }
    }
    await dataplane.setIdentities(prefixWrites);
    for (const { cidr, identity } of prefixWrites) this.written.set(cidr, identity);

    // 2. Rules and flags, endpoint by endpoint.
    await this.rewrite(structures);

    for (const endpoint of retired) await this.removeEndpoint(endpoint);

    // 3. Pod identities, 4. what is no longer wanted.
    await dataplane.setIdentities(podWrites);
    for (const { cidr, identity } of podWrites) this.written.set(cidr, identity);
    await dataplane.removeIdentities(deletes);
    for (const cidr of deletes) this.written.delete(cidr);

    // 5. No address holds an emptied class's identity (or an alias) any more: the rules naming
    // them are rewritten without them, then the identities are free.
    const later = new Set<string>();
    const emptied = this.emptied.splice(0).filter((c) => c.pods.size === 0 && this.classes.get(c.key) === c);
    for (const c of emptied) {
      this.classes.delete(c.key);
      for (const s of c.selectors) {
        const set = this.selectorClasses.get(s)!;
        set.delete(c);
        if (set.size === 0) this.selectorClasses.delete(s);
      }
      this.markClassSides(c, later);
    }
    for (const c of this.aliased.splice(0)) {
      c.aliases.length = 0;
      this.markClassSides(c, later);
    }
    this.releasing.push(...emptied);
    if (later.size > 0) {
      const again = new Map<string, LocalSide>();
      for (const key of later) {
        sides.add(key); // retried with the pass if a write fails
        const [direction, pod] = key.split('\u0000') as [Direction, string];
        if (this.endpoints.has(pod) && this.index.has(pod)) again.set(key, this.sideOf(pod, direction));
      }
      await this.rewrite(again);
    }
    for (const c of this.releasing.splice(0))
      if (!this.classes.has(c.key)) this.identities.release(`class:${c.key}`);

    if (this.needsSweep) await this.sweep();
  }

  /**
   * What a local side is written as: its enforced structure, or, when only audit-mode policies
   * select it, theirs (audited).
   */
  private sideOf(pod: string, direction: Direction): LocalSide {
    const enforced = this.index.structure(pod, direction);
    if (enforced.isolated) return { ...enforced, audit: false };
    const audit = this.index.auditStructure(pod, direction);
    return audit === undefined ? { ...enforced, audit: false } : { ...audit, audit: true };
  }

  /** Swaps the rules (and flags) of the given sides, endpoint by endpoint. */
  private async rewrite(structures: ReadonlyMap<string, LocalSide>): Promise<void> {
    const byPod = new Map<string, Map<Direction, LocalSide>>();
    for (const [key, side] of structures) {
      const [direction, pod] = key.split('\u0000') as [Direction, string];
      if (!byPod.has(pod)) byPod.set(pod, new Map());
      byPod.get(pod)!.set(direction, side);
    }
    for (const [pod, changed] of byPod) await this.enforce(pod, changed);
  }

  /**
   * After a restart, a pod may hold an identity its class did not adopt (another pod's came first):
   * rules list it beside the class's own while its address moves, so no allowed flow drops; only
   * when every pod holding it is in that one class (otherwise it would admit the others too).
   */
  private aliasReserved(sides: Set<string>): void {
    const holders = new Map<number, Set<PeerClass>>();
    for (const [pod, c] of this.podClass) {
      const ip = this.facts.get(pod)?.ips[0];
      const held = ip === undefined ? undefined : this.written.get(hostPrefix(ip));
      if (held === undefined || held === c.identity || !this.reserved.has(held)) continue;
      let set = holders.get(held);
      if (set === undefined) holders.set(held, (set = new Set()));
      set.add(c);
    }
    for (const [held, set] of holders) {
      if (set.size !== 1) continue;
      const c = [...set][0]!;
      if (c.aliases.length === 0) this.aliased.push(c);
      c.aliases.push(held);
      this.markClassSides(c, sides);
    }
  }

  /**
   * Puts `pod` in its class now (none without an address); a class made or emptied marks the local
   * sides naming its selectors. Whether the pod's class changed.
   */
  private classify(pod: string, sides: Set<string>): boolean {
    const facts = this.facts.get(pod);
    const before = this.podClass.get(pod);
    let after: PeerClass | undefined;
    if (facts !== undefined && !facts.hostNetwork && facts.ips.length > 0 && this.index.has(pod)) {
      const seen = this.index.classOf(pod, (s) => this.selectorSides.has(s));
      after = this.classes.get(seen.key);
      if (after === undefined) {
        const name = `class:${seen.key}`;
        // After a restart: the identity this pod's address held, unless another class took it.
        const held = this.written.get(hostPrefix(facts.ips[0]!));
        if (held !== undefined && this.reserved.delete(held)) {
          this.identities.release(`reserved:${held}`);
          this.identities.adopt(name, held);
        }
        after = {
          key: seen.key,
          identity: this.identities.identityOf(name),
          selectors: seen.selectors,
          numbers: seen.numbers,
          pods: new Set(),
          aliases: [],
        };
        this.classes.set(seen.key, after);
        for (const s of after.selectors) {
          let set = this.selectorClasses.get(s);
          if (set === undefined) this.selectorClasses.set(s, (set = new Set()));
          set.add(after);
        }
        this.markClassSides(after, sides);
      }
    }
    if (before === after) return false;
    if (after === undefined) this.podClass.delete(pod);
    else {
      after.pods.add(pod);
      this.podClass.set(pod, after);
    }
    if (before !== undefined) {
      before.pods.delete(pod);
      // Emptied: it stays in the rules until no address holds its identity (step 5 of the pass).
      if (before.pods.size === 0) this.emptied.push(before);
    }
    return true;
  }

  /** The local sides naming one of the class's selectors (their rules list it). */
  private markClassSides(c: PeerClass, sides: Set<string>): void {
    for (const s of c.selectors) for (const side of this.selectorSides.get(s) ?? []) sides.add(side);
  }

  /** Recomputes the refinement when the blocks in use changed; marks the prefixes that moved. */
  private refine(cidrs: Set<string>): boolean {
    const unique = new Map<string, IpBlockRef>();
    for (const blocks of this.sideBlocks.values())
      for (const block of blocks) unique.set(blockText(block), block);
    const union = [...unique.keys()].sort().join('\n');
    if (union === this.blockUnion && !this.needsSweep) return false;
    const changed = union !== this.blockUnion;
    this.blockUnion = union;
    const blocks = [...unique.values()];
    const refinement = refineIpBlocks(blocks, (cidr) => this.identities.identityOf(`cidr:${cidr}`));
    const next = new Map<string, number>();
    for (const address of this.options.nodeAddresses) next.set(hostPrefix(address), IDENTITY.HOST);
    for (const entry of refinement.entries) if (!next.has(entry.cidr)) next.set(entry.cidr, entry.identity);
    for (const cidr of new Set([...this.cidrEntries.keys(), ...next.keys()])) {
      if (this.cidrEntries.get(cidr) !== next.get(cidr)) cidrs.add(cidr);
      if (!next.has(cidr)) this.identities.release(`cidr:${cidr}`);
    }
    this.cidrEntries = next;
    this.blockIds.clear();
    blocks.forEach((block, i) => this.blockIds.set(blockText(block), refinement.blockIdentities[i]!));
    return changed;
  }

  private readonly lookups = {
    classesIn: (selector: number): Iterable<PeerClassView> => this.selectorClasses.get(selector) ?? [],
    blockIdentities: (block: IpBlockRef) => this.blockIds.get(blockText(block)) ?? [],
  };

  private async enforce(pod: string, changed: Map<Direction, LocalSide>): Promise<void> {
    const endpoint = this.endpoints.get(pod)!;
    const dataplane = this.options.dataplane;
    const flags = { ...endpoint.flags };
    for (const [direction, side] of changed)
      flags[direction] = { isolated: side.isolated, audit: side.isolated && side.audit };
    // An enforcing side about to take audit rules is audited first: they never drop anything.
    const early = { ...endpoint.flags };
    for (const d of DIRECTIONS)
      if (flags[d].audit && early[d].isolated) early[d] = { isolated: true, audit: true };
    if (endpoint.ready && DIRECTIONS.some((d) => early[d].audit !== endpoint.flags[d].audit))
      await dataplane.setEndpoint(endpoint.ifindex, endpointState(endpoint.ifindex, early));
    // Rules in place before a direction is (or stays) isolated, or stops being audited. An
    // adopted endpoint's flags are unknown (a policy may have turned audit while the agent was
    // down): an audited side's rules wait until its AUDIT flag is surely set, as they may drop
    // what the kernel enforces now.
    const audited: Direction[] = [];
    for (const [direction, side] of changed) {
      if (!side.isolated) continue;
      if (endpoint.adopted && flags[direction].audit) audited.push(direction);
      else
        await dataplane.swapRules(endpoint.ifindex, DIRECTION_CODE[direction], sideRules(side, this.lookups));
    }
    await dataplane.setEndpoint(endpoint.ifindex, endpointState(endpoint.ifindex, flags));
    for (const direction of audited)
      await dataplane.swapRules(
        endpoint.ifindex,
        DIRECTION_CODE[direction],
        sideRules(changed.get(direction)!, this.lookups),
      );
    // ...and removed only once it is open.
    for (const [direction, side] of changed) {
      if (!side.isolated) await dataplane.clearRules(endpoint.ifindex, DIRECTION_CODE[direction]);
    }
    if (!endpoint.ready) this.log.info({ pod, ifname: endpoint.ifname }, 'endpoint ready');
    for (const [direction, side] of changed) {
      if (side.audit !== endpoint.flags[direction].audit)
        this.log.info({ pod, direction, audit: side.audit, policies: side.policies }, 'side audit mode');
      endpoint.auditPolicies[direction] = side.isolated && side.audit ? side.policies : NO_POLICIES;
    }
    endpoint.flags = flags;
    endpoint.ready = true;
    endpoint.adopted = false;
  }

  /**
   * A new local pod: closed (not ready) before its programs attach, so it is never open while its
   * rules are computed; an endpoint a previous agent left keeps its entry (and its rules) instead.
   */
  private async addEndpoint(pod: string, facts: PodFacts): Promise<boolean> {
    const ip = facts.ips[0]!;
    const veth = await this.options.findHostVeth(ip);
    if (veth === null) {
      this.log.warn({ pod, ip }, 'no host veth routes to the pod yet');
      return false;
    }
    const adopted = this.adoptedEndpoints.delete(veth.ifindex);
    if (!adopted) {
      await this.options.dataplane.setEndpoint(veth.ifindex, {
        endpointId: veth.ifindex,
        ready: false,
        ingressIsolated: false,
        egressIsolated: false,
      });
    }
    await this.options.dataplane.attach(this.options.nodeNetns, veth.ifname);
    this.endpoints.set(pod, {
      ifname: veth.ifname,
      ifindex: veth.ifindex,
      ip,
      flags: { Ingress: OPEN, Egress: OPEN },
      auditPolicies: { Ingress: NO_POLICIES, Egress: NO_POLICIES },
      ready: false,
      adopted,
    });
    this.podByEndpoint.set(veth.ifindex, pod);
    this.log.info({ pod, ifname: veth.ifname, ifindex: veth.ifindex, adopted }, 'endpoint attached');
    return true;
  }

  private async removeEndpoint(endpoint: LocalEndpoint): Promise<void> {
    if (this.podByEndpoint.has(endpoint.ifindex)) return; // the same veth, claimed again
    await this.options.dataplane.removeEndpoint(endpoint.ifindex);
    for (const direction of DIRECTIONS)
      await this.options.dataplane.clearRules(endpoint.ifindex, DIRECTION_CODE[direction]);
    this.log.info({ ifname: endpoint.ifname, ifindex: endpoint.ifindex }, 'endpoint removed');
  }

  /** After the first pass following adopt(): endpoints no local pod claimed are removed. */
  private async sweep(): Promise<void> {
    if (this.dirtyPods.size > 0) return; // some local pod is still looking for its veth
    for (const ifindex of this.adoptedEndpoints) {
      await this.options.dataplane.removeEndpoint(ifindex);
      for (const direction of DIRECTIONS)
        await this.options.dataplane.clearRules(ifindex, DIRECTION_CODE[direction]);
    }
    if (this.adoptedEndpoints.size > 0)
      this.log.info({ endpoints: this.adoptedEndpoints.size }, 'stale endpoints removed');
    this.adoptedEndpoints.clear();
    // Every local rule set has been rewritten with class identities: what was reserved is free.
    for (const identity of this.reserved) this.identities.release(`reserved:${identity}`);
    this.reserved.clear();
    this.needsSweep = false;
  }
}
