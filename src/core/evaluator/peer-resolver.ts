/**
 * Resolves selectors and ipBlocks to pod sets while a PolicyIndex is built, in time that grows
 * with what the policies select rather than with the cluster:
 * - one cache per index, keyed by canonical selector text computed once per policy parse, so
 *   every rule that uses `app=web` (or `{}`, or `team=payments`) shares one PodSet;
 * - candidates come from label postings (`key=value` -> pods, per namespace and cluster-wide;
 *   `key=value` -> namespaces), never from scanning every pod;
 * - ipBlocks binary-search the pods sorted by address, then cut the excepts out by range.
 * Lives only for one buildPolicyIndex call; not shared.
 *
 * Selectors never match hostNetwork pods (they are not "pods" to NetworkPolicy: no policy can
 * select them, and no CNI can attribute their traffic to them). ipBlocks match by address, so
 * they do match a hostNetwork pod's (node) address, and any pod whose IP they cover.
 */
import { type Cidr, cidrContainsIp, type IpAddress } from '../k8s/cidr';
import { selectorMatches } from '../k8s/label-selector';
import type { Labels, LabelSelector } from '../k8s/types';
import type { PodInfo } from '../state/cluster-state';
import { LabelIndex } from './label-index';
import { PodSet, PodSetBuilder } from './pod-set';

export interface ParsedIpBlock {
  cidr: Cidr;
  except: Cidr[];
}

export function ipBlockContains(block: ParsedIpBlock, ip: IpAddress): boolean {
  return cidrContainsIp(block.cidr, ip) && !block.except.some((e) => cidrContainsIp(e, ip));
}

/** A key equal for selectors that select the same things whatever their field order. */
export function selectorKey(selector: LabelSelector): string {
  const labels = Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const exprs = (selector.matchExpressions ?? [])
    .map((e) => JSON.stringify([e.key, e.operator, [...(e.values ?? [])].sort()]))
    .sort();
  return JSON.stringify([labels, exprs]);
}

/** A selector with its canonical key, computed once where the policy is read. */
export interface KeyedSelector {
  selector: LabelSelector;
  key: string;
}

export function keyed(selector: LabelSelector): KeyedSelector {
  return { selector, key: selectorKey(selector) };
}

export const EVERYTHING: KeyedSelector = keyed({});

export interface PeerResolverInput {
  /** The index's pods, in index order. */
  pods: readonly PodInfo[];
  podIps: readonly (IpAddress | undefined)[];
  /** Every namespace's labels, including namespaces only known from pods or policies. */
  namespaceLabels: ReadonlyMap<string, Labels>;
}

interface NamespacePods {
  /** Non-hostNetwork pods of the namespace, ascending. */
  all: number[];
  labels: LabelIndex;
}

export class PeerResolver {
  private readonly capacity: number;
  private readonly byNamespace = new Map<string, NamespacePods>();
  private readonly podLabels = new LabelIndex();
  private readonly namespaceNames: string[];
  private readonly namespaceLabels = new LabelIndex();
  private readonly podMemo = new Map<string, PodSet>();
  private readonly namespaceMemo = new Map<string, string[]>();
  private readonly crossMemo = new Map<string, PodSet>();
  private readonly blockMemo = new Map<string, PodSet>();
  private readonly addresses: ReturnType<typeof sortByAddress>;

  constructor(private readonly input: PeerResolverInput) {
    this.capacity = input.pods.length;
    input.pods.forEach((pod, i) => {
      if (pod.hostNetwork) return;
      let ns = this.byNamespace.get(pod.namespace);
      if (ns === undefined) this.byNamespace.set(pod.namespace, (ns = { all: [], labels: new LabelIndex() }));
      ns.all.push(i);
      ns.labels.add(i, pod.labels);
      this.podLabels.add(i, pod.labels);
    });
    this.namespaceNames = [...input.namespaceLabels.keys()].sort();
    this.namespaceNames.forEach((ns, i) => this.namespaceLabels.add(i, input.namespaceLabels.get(ns)!));
    this.addresses = sortByAddress(input.podIps);
  }

  /** Pods of `namespace` that `selector` matches: a policy's own podSelector, or a podSelector-only peer. */
  podsInNamespace(namespace: string, selector: KeyedSelector): PodSet {
    const key = `${namespace}\u0000${selector.key}`;
    let set = this.podMemo.get(key);
    if (set === undefined) {
      const b = new PodSetBuilder(this.capacity);
      this.matchInNamespace(namespace, selector.selector, (i) => b.add(i));
      set = b.build();
      this.podMemo.set(key, set);
    }
    return set;
  }

  /** Pods of every namespace `namespaceSelector` matches, narrowed by `podSelector` when given (AND). */
  podsInNamespaces(namespaceSelector: KeyedSelector, podSelector: KeyedSelector | undefined): PodSet {
    const pods = podSelector ?? EVERYTHING;
    const key = `${namespaceSelector.key}\u0000${pods.key}`;
    let set = this.crossMemo.get(key);
    if (set === undefined) {
      const namespaces = this.namespaces(namespaceSelector);
      const b = new PodSetBuilder(this.capacity);
      let inNamespaces = 0;
      for (const ns of namespaces) inNamespaces += this.byNamespace.get(ns)?.all.length ?? 0;
      const global = this.podLabels.candidates(pods.selector);
      if (global !== undefined && global.length < inNamespaces) {
        const wanted = new Set(namespaces);
        for (const i of global) {
          const pod = this.input.pods[i]!;
          if (wanted.has(pod.namespace) && selectorMatches(pods.selector, pod.labels)) b.add(i);
        }
      } else {
        for (const ns of namespaces) this.matchInNamespace(ns, pods.selector, (i) => b.add(i));
      }
      set = b.build();
      this.crossMemo.set(key, set);
    }
    return set;
  }

  /** Pods, hostNetwork or not, whose IP is in the block; a pod without an IP never is. */
  podsInIpBlock(block: ParsedIpBlock, blockKey: string): PodSet {
    let set = this.blockMemo.get(blockKey);
    if (set === undefined) {
      const b = new PodSetBuilder(this.capacity);
      const { order, ips } = this.addresses[block.cidr.family];
      const range = (c: Cidr): [number, number] => [
        lowerBound(ips, c.words),
        upperBound(ips, lastAddress(c)),
      ];
      const [from, to] = range(block.cidr);
      // Position ranges of the excepts, sorted: walk [from, to) skipping them.
      const cuts = block.except
        .filter((e) => e.family === block.cidr.family)
        .map(range)
        .sort((x, y) => x[0] - y[0]);
      let at = from;
      for (const [cutFrom, cutTo] of cuts) {
        for (; at < Math.min(cutFrom, to); at++) b.add(order[at]!);
        at = Math.max(at, cutTo);
      }
      for (; at < to; at++) b.add(order[at]!);
      set = b.build();
      this.blockMemo.set(blockKey, set);
    }
    return set;
  }

  private matchInNamespace(namespace: string, selector: LabelSelector, add: (i: number) => void): void {
    const ns = this.byNamespace.get(namespace);
    if (ns === undefined) return;
    const candidates = ns.labels.candidates(selector) ?? ns.all;
    for (const i of candidates) if (selectorMatches(selector, this.input.pods[i]!.labels)) add(i);
  }

  private namespaces(selector: KeyedSelector): string[] {
    let names = this.namespaceMemo.get(selector.key);
    if (names === undefined) {
      const candidates = this.namespaceLabels.candidates(selector.selector);
      const positions = candidates ?? this.namespaceNames.map((_, i) => i);
      names = positions
        .map((i) => this.namespaceNames[i]!)
        .filter((ns) => selectorMatches(selector.selector, this.input.namespaceLabels.get(ns)!));
      this.namespaceMemo.set(selector.key, names);
    }
    return names;
  }
}

type Words = readonly number[];

/** Per family, pod positions sorted by address, and their addresses in the same order. */
function sortByAddress(
  podIps: readonly (IpAddress | undefined)[],
): Record<4 | 6, { order: number[]; ips: Words[] }> {
  const out = {
    4: { order: [] as number[], ips: [] as Words[] },
    6: { order: [] as number[], ips: [] as Words[] },
  };
  for (const family of [4, 6] as const) {
    const order: number[] = [];
    podIps.forEach((ip, i) => {
      if (ip?.family === family) order.push(i);
    });
    order.sort((a, b) => compareWords(podIps[a]!.words, podIps[b]!.words) || a - b);
    out[family] = { order, ips: order.map((i) => podIps[i]!.words) };
  }
  return out;
}

function compareWords(a: Words, b: Words): number {
  for (let k = 0; k < 4; k++) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function lastAddress(cidr: Cidr): Words {
  return cidr.words.map((w, k) => (w | ~cidr.mask[k]!) >>> 0);
}

/** First position whose address is >= target. */
function lowerBound(ips: readonly Words[], target: Words): number {
  let lo = 0;
  let hi = ips.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareWords(ips[mid]!, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First position whose address is > target. */
function upperBound(ips: readonly Words[], target: Words): number {
  let lo = 0;
  let hi = ips.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareWords(ips[mid]!, target) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
