/**
 * Resolves selectors and ipBlocks to pod sets while a PolicyIndex is built. Policies repeat the
 * same selectors over and over (`{}`, `app=web`, `team=payments`), so each answer is memoised per
 * (namespace, selector) and per block: building an index costs one label match per pod per
 * distinct selector, not per policy. Lives only for one buildPolicyIndex call; not shared.
 *
 * Selectors never match hostNetwork pods (they are not "pods" to NetworkPolicy: no policy can
 * select them, and no CNI can attribute their traffic to them). ipBlocks match by address, so
 * they do match a hostNetwork pod's (node) address, and any pod whose IP they cover.
 */
import { type Cidr, cidrContainsIp, type IpAddress } from '../../src/core/k8s/cidr';
import { selectorMatches } from '../../src/core/k8s/label-selector';
import type { Labels, LabelSelector } from '../../src/core/k8s/types';
import type { PodInfo } from '../../src/core/state/cluster-state';
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

export interface PeerResolverInput {
  /** The index's pods, in index order. */
  pods: readonly PodInfo[];
  podIps: readonly (IpAddress | undefined)[];
  /** Every namespace's labels, including namespaces only known from pods or policies. */
  namespaceLabels: ReadonlyMap<string, Labels>;
}

export class PeerResolver {
  private readonly podsByNamespace = new Map<string, number[]>();
  private readonly namespaceNames: string[];
  private readonly podMemo = new Map<string, PodSet>();
  private readonly namespaceMemo = new Map<string, string[]>();
  private readonly crossMemo = new Map<string, PodSet>();
  private readonly blockMemo = new Map<string, PodSet>();

  constructor(private readonly input: PeerResolverInput) {
    input.pods.forEach((pod, i) => {
      if (pod.hostNetwork) return;
      const list = this.podsByNamespace.get(pod.namespace);
      if (list === undefined) this.podsByNamespace.set(pod.namespace, [i]);
      else list.push(i);
    });
    this.namespaceNames = [...input.namespaceLabels.keys()].sort();
  }

  /** Pods of `namespace` that `selector` matches: a policy's own podSelector, or a podSelector-only peer. */
  podsInNamespace(namespace: string, selector: LabelSelector): PodSet {
    const key = `${namespace}\u0000${selectorKey(selector)}`;
    let set = this.podMemo.get(key);
    if (set === undefined) {
      const b = new PodSetBuilder(this.input.pods.length);
      for (const i of this.podsByNamespace.get(namespace) ?? []) {
        if (selectorMatches(selector, this.input.pods[i]!.labels)) b.add(i);
      }
      set = b.build();
      this.podMemo.set(key, set);
    }
    return set;
  }

  /** Pods of every namespace `namespaceSelector` matches, narrowed by `podSelector` when given (AND). */
  podsInNamespaces(namespaceSelector: LabelSelector, podSelector: LabelSelector | undefined): PodSet {
    const podKey = podSelector === undefined ? '' : selectorKey(podSelector);
    const key = `${selectorKey(namespaceSelector)}\u0000${podKey}`;
    let set = this.crossMemo.get(key);
    if (set === undefined) {
      const b = new PodSetBuilder(this.input.pods.length);
      for (const ns of this.namespaces(namespaceSelector)) {
        b.addAll(this.podsInNamespace(ns, podSelector ?? {}));
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
      const b = new PodSetBuilder(this.input.pods.length);
      this.input.podIps.forEach((ip, i) => {
        if (ip !== undefined && ipBlockContains(block, ip)) b.add(i);
      });
      set = b.build();
      this.blockMemo.set(blockKey, set);
    }
    return set;
  }

  private namespaces(selector: LabelSelector): string[] {
    const key = selectorKey(selector);
    let names = this.namespaceMemo.get(key);
    if (names === undefined) {
      names = this.namespaceNames.filter((ns) =>
        selectorMatches(selector, this.input.namespaceLabels.get(ns)!),
      );
      this.namespaceMemo.set(key, names);
    }
    return names;
  }
}
