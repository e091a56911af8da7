/**
 * Terse builders of cluster states for the evaluator's tests and the policy benchmark: a pod is
 * `pod('ns/name', {...})`, a policy `policy('ns/name', spec)`. Namespaces that pods or policies
 * name get created with the label the API server sets. No behaviour of its own.
 */
import {
  NAMESPACE_NAME_LABEL,
  type Labels,
  type NetworkPolicy,
  type NetworkPolicySpec,
} from '../../src/core/k8s/types';
import type {
  ClusterState,
  ContainerPortInfo,
  NamespaceInfo,
  PodInfo,
} from '../../src/core/state/cluster-state';

function split(key: string): [string, string] {
  const [namespace, name] = key.split('/');
  if (namespace === undefined || name === undefined) throw new Error(`expected "ns/name", got "${key}"`);
  return [namespace, name];
}

export function namespace(name: string, labels: Labels = {}): NamespaceInfo {
  return { name, labels: { ...labels, [NAMESPACE_NAME_LABEL]: name } };
}

export function pod(
  key: string,
  options: { labels?: Labels; ip?: string; hostNetwork?: boolean; ports?: ContainerPortInfo[] } = {},
): PodInfo {
  const [ns, name] = split(key);
  const p: PodInfo = {
    namespace: ns,
    name,
    labels: options.labels ?? {},
    hostNetwork: options.hostNetwork ?? false,
    ports: options.ports ?? [],
  };
  if (options.ip !== undefined) p.ip = options.ip;
  return p;
}

export function policy(key: string, spec: NetworkPolicySpec): NetworkPolicy {
  const [ns, name] = split(key);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { namespace: ns, name },
    spec,
  };
}

export function clusterState(parts: {
  namespaces?: NamespaceInfo[];
  pods?: PodInfo[];
  policies?: NetworkPolicy[];
}): ClusterState {
  const namespaces = [...(parts.namespaces ?? [])];
  const known = new Set(namespaces.map((n) => n.name));
  for (const name of [
    ...(parts.pods ?? []).map((p) => p.namespace),
    ...(parts.policies ?? []).map((p) => p.metadata.namespace),
  ]) {
    if (!known.has(name)) {
      known.add(name);
      namespaces.push(namespace(name));
    }
  }
  return { namespaces, pods: parts.pods ?? [], policies: parts.policies ?? [], workloads: [], services: [] };
}
