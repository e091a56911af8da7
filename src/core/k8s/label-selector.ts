/**
 * metav1.LabelSelector semantics: matchLabels and matchExpressions are ANDed; an empty selector
 * matches everything. Pure functions, hot in the evaluator: no allocation on the match path. Labels
 * and matchLabels are read through own-property checks only, so a key such as `constructor` or
 * `__proto__` is an ordinary label, never something inherited from Object.prototype.
 */
import type { LabelSelector, Labels } from './types';

const hasOwn = Object.hasOwn;

export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  const matchLabels = selector.matchLabels;
  if (matchLabels !== undefined) {
    for (const key in matchLabels) {
      if (!hasOwn(matchLabels, key)) continue;
      if (!hasOwn(labels, key) || labels[key] !== matchLabels[key]) return false;
    }
  }
  const expressions = selector.matchExpressions;
  if (expressions !== undefined) {
    for (const req of expressions) {
      const has = hasOwn(labels, req.key);
      switch (req.operator) {
        case 'In':
          if (!has || !(req.values ?? []).includes(labels[req.key] as string)) return false;
          break;
        case 'NotIn':
          if (has && (req.values ?? []).includes(labels[req.key] as string)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
      }
    }
  }
  return true;
}

export function isEmptySelector(selector: LabelSelector): boolean {
  return (
    Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0
  );
}

/** kubectl's notation: `app=web,tier in (a,b),!legacy`; the empty selector is `{}` (everything). */
export function formatSelector(selector: LabelSelector): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) parts.push(`${key}=${value}`);
  for (const req of selector.matchExpressions ?? []) {
    const values = (req.values ?? []).join(',');
    switch (req.operator) {
      case 'In':
        parts.push(`${req.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${req.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(req.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${req.key}`);
        break;
    }
  }
  return parts.length === 0 ? '{}' : parts.join(',');
}
