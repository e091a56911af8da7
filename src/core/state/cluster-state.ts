/**
 * The cluster as netpol sees it: namespaces, pods, policies, and the workloads and Services whose
 * names a request may use. Loaded from a state file (CLI), or kept current from the API (workers).
 * Immutable once built: the evaluator indexes it and must not see it change underneath.
 */
import type { Labels, LabelSelector, NetworkPolicy, Protocol } from '../k8s/types';

export interface NamespaceInfo {
  name: string;
  /** Always holds `kubernetes.io/metadata.name`, as the API server guarantees. */
  labels: Labels;
}

export interface ContainerPortInfo {
  name?: string;
  containerPort: number;
  protocol: Protocol;
}

export interface PodInfo {
  namespace: string;
  name: string;
  labels: Labels;
  /** `status.podIP`; absent while the pod has none (pending). */
  ip?: string;
  /** hostNetwork pods use the node's address: selectors never match them and no policy isolates them. */
  hostNetwork: boolean;
  ports: ContainerPortInfo[];
}

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | 'CronJob';

export interface WorkloadInfo {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  /** The pod selector (`spec.selector`, or the job template's labels for a CronJob). */
  selector: LabelSelector;
}

export interface ServicePortInfo {
  name?: string;
  port: number;
  /** A number, or the name of a container port. Defaults to `port`. */
  targetPort: number | string;
  protocol: Protocol;
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  /** `spec.selector`; absent for Services without a selector (manual endpoints). */
  selector?: Labels;
  ports: ServicePortInfo[];
}

export interface ClusterState {
  namespaces: NamespaceInfo[];
  pods: PodInfo[];
  policies: NetworkPolicy[];
  workloads: WorkloadInfo[];
  services: ServiceInfo[];
}

export function emptyClusterState(): ClusterState {
  return { namespaces: [], pods: [], policies: [], workloads: [], services: [] };
}

export function podKey(pod: { namespace: string; name: string }): string {
  return `${pod.namespace}/${pod.name}`;
}

export function policyKey(policy: NetworkPolicy): string {
  return `${policy.metadata.namespace}/${policy.metadata.name}`;
}
