/**
 * A ClusterState as the JSON `kubectl get namespaces,pods,networkpolicies -A -o json` prints: one
 * `kind: List` of API objects, the shape the CLI's state loader reads. The scale benchmark writes
 * each row's state with it once and hands the file to the CLI and to parseState.
 */
import type { ClusterState, PodInfo } from '../src/core/state/cluster-state';

function podObject(pod: PodInfo): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace, labels: pod.labels },
    spec: {
      containers: [{ name: 'main', image: 'app', ports: pod.ports }],
      ...(pod.hostNetwork ? { hostNetwork: true } : {}),
    },
    status: {
      phase: 'Running',
      ...(pod.ip !== undefined ? { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } : {}),
    },
  };
}

export function stateFileJson(state: ClusterState): string {
  const items = [
    ...state.namespaces.map((ns) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns.name, labels: ns.labels },
    })),
    ...state.pods.map(podObject),
    ...state.policies,
  ];
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items });
}
