/**
 * Postings from `key=value` (and from `key`, for Exists) to the items carrying that label, so a
 * selector's candidates are found without scanning every item: the shortest posting list among
 * its matchLabels and In/Exists requirements bounds the candidates, and selectorMatches checks
 * each. Items are numbers (pod or namespace positions) added in ascending order, so every
 * posting list is sorted. Built once per index; read-only afterwards.
 */
import type { Labels, LabelSelector } from '../k8s/types';

export class LabelIndex {
  private readonly byPair = new Map<string, number[]>();
  private readonly byKey = new Map<string, number[]>();

  /** Items must be added in ascending order. */
  add(item: number, labels: Labels): void {
    for (const key of Object.keys(labels)) {
      push(this.byPair, pairKey(key, labels[key]!), item);
      push(this.byKey, key, item);
    }
  }

  /**
   * A sorted superset of the items `selector` matches, or undefined when no requirement narrows
   * it (the empty selector, or only NotIn/DoesNotExist): then every item is a candidate.
   */
  candidates(selector: LabelSelector): readonly number[] | undefined {
    let best: readonly number[] | undefined;
    const consider = (list: readonly number[]): void => {
      if (best === undefined || list.length < best.length) best = list;
    };
    const matchLabels = selector.matchLabels ?? {};
    for (const key of Object.keys(matchLabels)) {
      consider(this.byPair.get(pairKey(key, matchLabels[key]!)) ?? EMPTY);
    }
    for (const req of selector.matchExpressions ?? []) {
      if (req.operator === 'Exists') consider(this.byKey.get(req.key) ?? EMPTY);
      else if (req.operator === 'In') {
        const values = [...new Set(req.values ?? [])];
        const lists = values.map((v) => this.byPair.get(pairKey(req.key, v)) ?? EMPTY);
        const total = lists.reduce((n, l) => n + l.length, 0);
        if (best !== undefined && total >= best.length) continue;
        consider(lists.length === 1 ? lists[0]! : mergeSorted(lists));
      }
    }
    return best;
  }
}

const EMPTY: readonly number[] = [];

function pairKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

function push(map: Map<string, number[]>, key: string, item: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [item]);
  else list.push(item);
}

/** The sorted union of sorted lists (a pod has one value per key, so they are disjoint). */
function mergeSorted(lists: readonly (readonly number[])[]): number[] {
  return lists.flat().sort((a, b) => a - b);
}
