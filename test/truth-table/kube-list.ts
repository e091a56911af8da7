/**
 * Renders a ClusterState as `kubectl get namespaces,pods,networkpolicies -A -o yaml` prints it: a
 * `kind: List` whose items are the API objects. The CLI's state loader reads this shape; the
 * truth-table tests use it for xyz-state.yaml and for the state files they hand the CLI.
 */
import type { ClusterState, PodInfo } from '../../src/core/state/cluster-state';
import { containerName } from './xyz-model';

/** The agnhost image upstream's model runs (any image would do: netpol reads only the ports). */
const AGNHOST_IMAGE = 'registry.k8s.io/e2e-test-images/agnhost:2.53';

export interface KubeList {
  apiVersion: 'v1';
  kind: 'List';
  metadata: { resourceVersion: string };
  items: unknown[];
}

function podObject(pod: PodInfo): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace, labels: { ...pod.labels } },
    spec: {
      containers: pod.ports.map((p) => ({
        name: containerName(p.containerPort, p.protocol),
        image: AGNHOST_IMAGE,
        ports: [
          {
            ...(p.name !== undefined ? { name: p.name } : {}),
            containerPort: p.containerPort,
            protocol: p.protocol,
          },
        ],
      })),
      ...(pod.hostNetwork ? { hostNetwork: true } : {}),
    },
    status: {
      phase: 'Running',
      ...(pod.ip !== undefined ? { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } : {}),
    },
  };
}

export function toKubeList(state: ClusterState): KubeList {
  return {
    apiVersion: 'v1',
    kind: 'List',
    metadata: { resourceVersion: '' },
    items: [
      ...state.namespaces.map((ns) => ({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns.name, labels: { ...ns.labels } },
        status: { phase: 'Active' },
      })),
      ...state.pods.map(podObject),
      ...state.policies.map((p) => structuredClone(p)),
    ],
  };
}
