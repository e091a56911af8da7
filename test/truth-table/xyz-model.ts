/**
 * The cluster every truth-table case runs against, after Kubernetes' netpol e2e model
 * (test/e2e/network/netpol/model.go): namespaces x, y, z, each with pods a, b, c, every pod serving
 * ports 80 and 81 over TCP, UDP and SCTP from one container per port and protocol.
 *
 * Pod IPs are 10.1.<namespace index>.<pod index> (x/a is 10.1.1.1, z/c is 10.1.3.3), so the ipBlock
 * cases can derive their CIDRs from a pod's IP exactly as upstream does. Every call builds a fresh
 * state: cases mutate their copy (label updates) without touching other cases.
 */
import type {
  ClusterState,
  ContainerPortInfo,
  NamespaceInfo,
  PodInfo,
} from '../../src/core/state/cluster-state';
import {
  NAMESPACE_NAME_LABEL,
  type Labels,
  type NetworkPolicy,
  type Protocol,
} from '../../src/core/k8s/types';

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const POD_NAMES = ['a', 'b', 'c'] as const;
export const SERVED_PORTS = [80, 81] as const;
export const SERVED_PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Every pod as "ns/pod", in the order the evaluator reports them (sorted). */
export const XYZ_PODS: readonly string[] = NAMESPACES.flatMap((ns) => POD_NAMES.map((pod) => `${ns}/${pod}`));

export function podIP(namespace: string, pod: string): string {
  const nsIndex = NAMESPACES.indexOf(namespace as (typeof NAMESPACES)[number]);
  const podIndex = POD_NAMES.indexOf(pod as (typeof POD_NAMES)[number]);
  if (nsIndex < 0 || podIndex < 0) throw new Error(`no pod ${namespace}/${pod} in the xyz model`);
  return `10.1.${nsIndex + 1}.${podIndex + 1}`;
}

/** Upstream names container ports `serve-<port>-<protocol>` (model.go `PortName`). */
export function servePortName(port: number, protocol: Protocol): string {
  return `serve-${port}-${protocol.toLowerCase()}`;
}

/** Upstream names containers `cont-<port>-<protocol>` (model.go `Name`). */
export function containerName(port: number, protocol: Protocol): string {
  return `cont-${port}-${protocol.toLowerCase()}`;
}

function servedPorts(): ContainerPortInfo[] {
  return SERVED_PORTS.flatMap((port) =>
    SERVED_PROTOCOLS.map((protocol) => ({
      name: servePortName(port, protocol),
      containerPort: port,
      protocol,
    })),
  );
}

export function xyzNamespaces(): NamespaceInfo[] {
  return NAMESPACES.map((name) => ({ name, labels: { ns: name, [NAMESPACE_NAME_LABEL]: name } }));
}

export function xyzPods(): PodInfo[] {
  return NAMESPACES.flatMap((namespace) =>
    POD_NAMES.map((name) => ({
      namespace,
      name,
      labels: { pod: name },
      ip: podIP(namespace, name),
      hostNetwork: false,
      ports: servedPorts(),
    })),
  );
}

export function xyzClusterState(): ClusterState {
  return { namespaces: xyzNamespaces(), pods: xyzPods(), policies: [], workloads: [], services: [] };
}

export interface ModelChanges {
  /** Labels added to (or overwritten on) a namespace, by namespace name. */
  namespaceLabels?: Record<string, Labels>;
  /** Labels added to (or overwritten on) a pod, by "ns/pod". */
  podLabels?: Record<string, Labels>;
  policies?: readonly NetworkPolicy[];
}

/** The xyz model after the label updates and policy creations a case describes. */
export function xyzStateWith(changes: ModelChanges): ClusterState {
  const state = xyzClusterState();
  for (const [name, labels] of Object.entries(changes.namespaceLabels ?? {})) {
    const ns = state.namespaces.find((n) => n.name === name);
    if (ns === undefined) throw new Error(`no namespace ${name} in the xyz model`);
    ns.labels = { ...ns.labels, ...labels };
  }
  for (const [key, labels] of Object.entries(changes.podLabels ?? {})) {
    const pod = state.pods.find((p) => `${p.namespace}/${p.name}` === key);
    if (pod === undefined) throw new Error(`no pod ${key} in the xyz model`);
    pod.labels = { ...pod.labels, ...labels };
  }
  state.policies = (changes.policies ?? []).map((p) => structuredClone(p));
  return state;
}
