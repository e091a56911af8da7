/**
 * The lab's plan, a pure function of the state file's objects: which nodes exist (the pods'
 * spec.nodeName; pods without one go to one default node), each node's namespace, underlay
 * addresses and host-veth names, each pod's namespace, addresses and served ports (TCP and UDP on
 * its container ports, 80 and 81 when it declares none), and the objects the Kubernetes API stand-in
 * is loaded with (pods given the node they run on). Names are prefixed so two labs never collide.
 *
 * Addresses the lab adds: node i (0-based) has 198.18.0.(i+1)/24 and fd98:18::(i+1)/64 on its
 * underlay link (these are the node's own addresses for the agent), and the sync canaries (see
 * lab.ts) 198.19.<i>.1 and .2, and the prober 198.19.255.1. A state whose pods use them is refused.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { NetpolError } from '../../core/errors';

export const DEFAULT_NODE = 'lab-node';
export const SYNC_NAMESPACE = 'netpol-lab-sync';
/** The two ports a canary serves; the canary policy admits one at a time. */
export const SYNC_PORTS = [1001, 1002] as const;
const MAX_NODES = 250;

type Obj = Record<string, unknown>;

export interface LabNodePlan {
  readonly name: string;
  readonly netns: string;
  readonly ipv4: string;
  readonly ipv6: string;
  /** This node's link in the underlay bridge namespace. */
  readonly underlayIf: string;
}

export interface LabPodPlan {
  /** "namespace/name" */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly netns: string;
  /** The host-side veth in the node namespace. */
  readonly hostIf: string;
  /** status.podIP first, then the other podIPs. */
  readonly ips: readonly string[];
  readonly tcpPorts: readonly number[];
  readonly udpPorts: readonly number[];
  /** Labels, for canaries (the state's pods carry theirs in `objects`). */
  readonly canary?: 'target' | 'prober';
}

export interface LabPlan {
  readonly prefix: string;
  readonly underlayNetns: string;
  readonly nodes: readonly LabNodePlan[];
  /** The state's pods, sorted by key (the order `netpol matrix` reports). */
  readonly pods: readonly LabPodPlan[];
  /** Canaries (only with `syncCanaries`), not in the matrix. */
  readonly canaries: readonly LabPodPlan[];
  /** What the stand-in starts with: the state's objects, pods with their node (and the canaries). */
  readonly objects: readonly Obj[];
}

export interface PlanOptions {
  /** Prefix of every namespace name, e.g. "nplab-1234-". */
  readonly prefix: string;
  /** Add one canary per node and a prober (for waiting until every agent has synced). */
  readonly syncCanaries?: boolean;
  /**
   * The port `lab matrix` probes: every pod serves it too. `netpol matrix` answers what policy
   * allows, whether or not anything listens; a pod that does not declare the port would otherwise
   * refuse the connection and read as blocked where the policies allow it.
   */
  readonly probe?: { readonly port: number; readonly protocol: 'TCP' | 'UDP' };
}

function isRecord(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown): Obj {
  return isRecord(value) ? value : {};
}

/** Network namespace names: the pod's key with characters ip(8) would mind replaced. */
function netnsName(prefix: string, ...parts: string[]): string {
  return prefix + parts.map((part) => part.replace(/[^A-Za-z0-9_.-]/g, '_')).join('-');
}

function podPorts(spec: Obj, probe: PlanOptions['probe']): { tcp: number[]; udp: number[] } {
  const tcp = new Set<number>();
  const udp = new Set<number>();
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  for (const container of containers) {
    const ports = record(container).ports;
    for (const port of Array.isArray(ports) ? ports : []) {
      const number = record(port).containerPort;
      const protocol = record(port).protocol ?? 'TCP';
      if (typeof number !== 'number') continue;
      if (protocol === 'TCP') tcp.add(number);
      else if (protocol === 'UDP') udp.add(number);
    }
  }
  const declared = containers.some(
    (c) => Array.isArray(record(c).ports) && (record(c).ports as []).length > 0,
  );
  if (!declared) {
    for (const port of [80, 81]) {
      tcp.add(port);
      udp.add(port);
    }
  }
  if (probe !== undefined) (probe.protocol === 'TCP' ? tcp : udp).add(probe.port);
  const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b);
  return { tcp: sorted(tcp), udp: sorted(udp) };
}

function podIps(status: Obj): string[] {
  const primary = typeof status.podIP === 'string' && status.podIP !== '' ? status.podIP : undefined;
  const ips = primary === undefined ? [] : [primary];
  for (const entry of Array.isArray(status.podIPs) ? status.podIPs : []) {
    const ip = record(entry).ip;
    if (typeof ip === 'string' && !ips.includes(ip)) ips.push(ip);
  }
  return ips;
}

export function planLab(stateObjects: readonly object[], options: PlanOptions): LabPlan {
  const prefix = options.prefix;
  const raw = stateObjects.map((o) => structuredClone(o) as Obj);
  const podObjects = raw.filter((o) => o.kind === 'Pod');
  const nodeNames = new Set<string>();
  for (const pod of podObjects) {
    const nodeName = record(pod.spec).nodeName;
    nodeNames.add(typeof nodeName === 'string' && nodeName !== '' ? nodeName : DEFAULT_NODE);
  }
  if (nodeNames.size === 0) nodeNames.add(DEFAULT_NODE);
  if (nodeNames.size > MAX_NODES) {
    throw new NetpolError(
      'E_STATE',
      `the lab builds at most ${MAX_NODES} nodes, the state names ${nodeNames.size}`,
    );
  }
  const nodes: LabNodePlan[] = [...nodeNames].sort().map((name, i) => ({
    name,
    netns: netnsName(prefix, 'node', name),
    ipv4: `198.18.0.${i + 1}`,
    ipv6: `fd98:18::${(i + 1).toString(16)}`,
    underlayIf: `ul${i}`,
  }));
  const hostIfCount = new Map<string, number>();
  const hostIf = (node: string): string => {
    const n = hostIfCount.get(node) ?? 0;
    hostIfCount.set(node, n + 1);
    return `hv${n}`;
  };

  const used = new Set<string>(nodes.flatMap((node) => [node.ipv4, node.ipv6]));
  const pods: LabPodPlan[] = [];
  const problems: string[] = [];
  for (const pod of podObjects) {
    const meta = record(pod.metadata);
    const spec = record(pod.spec);
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
    const name = String(meta.name ?? '');
    const key = `${namespace}/${name}`;
    const ips = podIps(record(pod.status));
    if (spec.hostNetwork === true)
      problems.push(`${key} uses hostNetwork (the lab builds pod networks only)`);
    else if (ips.length === 0) problems.push(`${key} has no status.podIP`);
    else if (!ips.every((ip) => isIPv4(ip) || isIPv6(ip))) problems.push(`${key} has an invalid pod IP`);
    else if (ips.some((ip) => used.has(ip)))
      problems.push(`${key}: ${ips.join(', ')} is taken (by a pod or the lab)`);
    for (const ip of ips) used.add(ip);
    const node = typeof spec.nodeName === 'string' && spec.nodeName !== '' ? spec.nodeName : DEFAULT_NODE;
    spec.nodeName = node;
    pod.spec = spec;
    const ports = podPorts(spec, options.probe);
    pods.push({
      key,
      namespace,
      name,
      node,
      netns: netnsName(prefix, namespace, name),
      hostIf: hostIf(node),
      ips,
      tcpPorts: ports.tcp,
      udpPorts: ports.udp,
    });
  }

  const canaries: LabPodPlan[] = [];
  const canaryObjects: Obj[] = [];
  if (options.syncCanaries === true) {
    const canary = (name: string, node: LabNodePlan, ip: string, role: 'target' | 'prober'): void => {
      if (used.has(ip)) problems.push(`the lab's sync canary address ${ip} is taken by a pod of the state`);
      canaries.push({
        key: `${SYNC_NAMESPACE}/${name}`,
        namespace: SYNC_NAMESPACE,
        name,
        node: node.name,
        netns: netnsName(prefix, SYNC_NAMESPACE, name),
        hostIf: hostIf(node.name),
        ips: [ip],
        tcpPorts: role === 'target' ? [...SYNC_PORTS] : [],
        udpPorts: [],
        canary: role,
      });
      canaryObjects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: SYNC_NAMESPACE, labels: { 'netpol.lab/sync': role } },
        spec: { nodeName: node.name, containers: [{ name: 'canary', image: 'none' }] },
        status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
      });
    };
    nodes.forEach((node, i) => canary(`target-${i}`, node, `198.19.${i}.1`, 'target'));
    canary('prober', nodes[0]!, '198.19.255.1', 'prober');
    canaryObjects.unshift({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: SYNC_NAMESPACE, labels: { 'kubernetes.io/metadata.name': SYNC_NAMESPACE } },
    });
    canaryObjects.push(syncPolicy(SYNC_PORTS[1]));
  }
  if (problems.length > 0) {
    throw new NetpolError('E_STATE', `the lab cannot build this state: ${problems.join('; ')}`);
  }
  pods.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    prefix,
    underlayNetns: netnsName(prefix, 'underlay'),
    nodes,
    pods,
    canaries,
    objects: [...raw, ...canaryObjects],
  };
}

/** The canary policy admitting `port` (one of SYNC_PORTS) to every target, from anywhere. */
export function syncPolicy(port: number): Obj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'lab-sync', namespace: SYNC_NAMESPACE },
    spec: {
      podSelector: { matchLabels: { 'netpol.lab/sync': 'target' } },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ protocol: 'TCP', port }] }],
    },
  };
}

/** Sets spec.nodeName on pod objects from the plan (for objects written after the start). */
export function withNodes(plan: LabPlan, objects: readonly object[]): Obj[] {
  const nodeOf = new Map([...plan.pods, ...plan.canaries].map((pod) => [pod.key, pod.node]));
  return objects.map((o) => {
    const copy = structuredClone(o) as Obj;
    if (copy.kind !== 'Pod') return copy;
    const meta = record(copy.metadata);
    const key = `${typeof meta.namespace === 'string' ? meta.namespace : 'default'}/${String(meta.name)}`;
    const node = nodeOf.get(key);
    if (node !== undefined) copy.spec = { ...record(copy.spec), nodeName: node };
    return copy;
  });
}
