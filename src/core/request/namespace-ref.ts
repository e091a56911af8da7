/** Whether a namespace is one an endpoint's namespace part denotes: by name, `*`, or `ns(selector)`. */
import { selectorMatches } from '../k8s/label-selector';
import { toLabelSelector } from './selectors';
import type { NamespaceInfo } from '../state/cluster-state';
import type { NamespaceRef } from './request';

export function namespaceRefMatches(ref: NamespaceRef, namespace: NamespaceInfo): boolean {
  if (ref.kind === 'name') return namespace.name === ref.name;
  return ref.kind === 'all' || selectorMatches(toLabelSelector(ref.requirements), namespace.labels);
}
