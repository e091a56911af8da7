/**
 * Kubernetes objects (as the informers keep them) into the engine's index events, plus what the
 * agent needs of a pod beyond the engine's PodInfo (its node, all of its addresses). Reading goes
 * through the state reader (stateFromObjects), so the agent accepts and refuses exactly what the
 * CLI and the workers do. Pure.
 */
import type { KubeObject } from '../adapters/kube/informer';
import type { IndexEvent } from '../core/evaluator';
import { stateFromObjects } from '../core/state/load-state';
import type { PodFacts } from './enforcer';

export type WatchedKind = 'Namespace' | 'Pod' | 'NetworkPolicy';

export interface ObjectChange {
  readonly event: IndexEvent;
  readonly facts?: PodFacts;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** The event for an added or modified object; throws a NetpolError (E_STATE) on an invalid one. */
export function upsertOf(kind: WatchedKind, object: KubeObject): ObjectChange {
  const state = stateFromObjects([{ ...object, kind }]);
  if (kind === 'Namespace') return { event: { kind: 'namespace-upsert', namespace: state.namespaces[0]! } };
  if (kind === 'NetworkPolicy') return { event: { kind: 'policy-upsert', policy: state.policies[0]! } };
  const pod = state.pods[0]!;
  const spec = record(object.spec);
  const status = record(object.status);
  const listed = Array.isArray(status.podIPs)
    ? status.podIPs.map((entry) => record(entry).ip).filter((ip): ip is string => typeof ip === 'string')
    : [];
  const ips = pod.ip === undefined ? [] : [pod.ip, ...listed.filter((ip) => ip !== pod.ip)];
  return {
    event: { kind: 'pod-upsert', pod },
    facts: {
      namespace: pod.namespace,
      name: pod.name,
      labels: pod.labels,
      nodeName: typeof spec.nodeName === 'string' ? spec.nodeName : undefined,
      hostNetwork: pod.hostNetwork,
      ips,
    },
  };
}

/** The event for a deleted object, from its informer key (`namespace/name`, `/name`). */
export function deleteOf(kind: WatchedKind, key: string): IndexEvent {
  const slash = key.indexOf('/');
  const namespace = key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (kind === 'Namespace') return { kind: 'namespace-delete', name };
  if (kind === 'NetworkPolicy') return { kind: 'policy-delete', namespace, name };
  return { kind: 'pod-delete', namespace, name };
}
