/**
 * Converts between the request's selector notation (kubectl's `a=b,c in (d)`) and metav1.LabelSelector,
 * deterministically: the same requirements in any order give the same selector, so the same request
 * always renders the same object.
 */
import type { LabelSelector, LabelSelectorRequirement } from '../k8s/types';
import { emptyRecord, recordOf } from '../own-keys';
import type { SelectorRequirement } from './request';

export function toLabelSelector(requirements: readonly SelectorRequirement[]): LabelSelector {
  // Null prototype: a key written by the person (`constructor`, `__proto__`) is an ordinary key.
  const matchLabels = emptyRecord<string>();
  const expressions: LabelSelectorRequirement[] = [];
  for (const req of requirements) {
    switch (req.op) {
      case '=':
        matchLabels[req.key] = req.value;
        break;
      case '!=':
        expressions.push({ key: req.key, operator: 'NotIn', values: [req.value] });
        break;
      case 'in':
        expressions.push({ key: req.key, operator: 'In', values: [...new Set(req.values)].sort() });
        break;
      case 'notin':
        expressions.push({ key: req.key, operator: 'NotIn', values: [...new Set(req.values)].sort() });
        break;
      case 'exists':
        expressions.push({ key: req.key, operator: 'Exists' });
        break;
      case '!exists':
        expressions.push({ key: req.key, operator: 'DoesNotExist' });
        break;
    }
  }
  const selector: LabelSelector = {};
  const keys = Object.keys(matchLabels).sort();
  if (keys.length > 0)
    selector.matchLabels = recordOf(keys.map((k) => [k, matchLabels[k] as string] as const));
  if (expressions.length > 0) {
    const seen = new Set<string>();
    selector.matchExpressions = expressions
      .sort((a, b) =>
        compare(
          `${a.key}\0${a.operator}\0${(a.values ?? []).join(',')}`,
          `${b.key}\0${b.operator}\0${(b.values ?? []).join(',')}`,
        ),
      )
      .filter((e) => {
        const id = JSON.stringify(e);
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
  }
  return selector;
}

export function toRequirements(selector: LabelSelector): SelectorRequirement[] {
  const out: SelectorRequirement[] = [];
  for (const key of Object.keys(selector.matchLabels ?? {}).sort()) {
    out.push({ key, op: '=', value: (selector.matchLabels as Record<string, string>)[key] as string });
  }
  for (const e of selector.matchExpressions ?? []) {
    const values = e.values ?? [];
    if (e.operator === 'In') out.push({ key: e.key, op: 'in', values });
    else if (e.operator === 'NotIn') {
      out.push(
        values.length === 1
          ? { key: e.key, op: '!=', value: values[0] as string }
          : { key: e.key, op: 'notin', values },
      );
    } else if (e.operator === 'Exists') out.push({ key: e.key, op: 'exists' });
    else out.push({ key: e.key, op: '!exists' });
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
