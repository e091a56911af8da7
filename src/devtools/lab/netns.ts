/**
 * The lab's network: a bridge in its own "underlay" namespace joins the node namespaces; each pod
 * namespace hangs off its node's namespace by a veth in the routed layout of the EKS VPC CNI and
 * Calico (the pod's /32 and /128 routed to its host veth, the pod's default route through a
 * link-local gateway with static neighbours, no ARP races); each node routes the other nodes' pods
 * through their underlay addresses. Everything is made with `ip -n <netns>` (or inside a namespace
 * the lab made): the root namespace's links, routes and firewall are never touched.
 *
 * NodeNetwork is the same node and pods without the underlay or the lab's agents: the dataplane
 * tests and the dataplane bench drive the programs themselves on it (one topology builder for all).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LabNodePlan, LabPlan, LabPodPlan } from './lab-plan';
import { PodProcess } from './pod-process';

const run = promisify(execFile);

export async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args);
  return stdout;
}

async function inNetns(netns: string, ...command: string[]): Promise<void> {
  await run('ip', ['netns', 'exec', netns, ...command]);
}

async function macOf(netns: string, ifname: string): Promise<string> {
  const [link] = JSON.parse(await ip('-n', netns, '-j', 'link', 'show', 'dev', ifname)) as {
    address: string;
  }[];
  return link!.address;
}

/** Creates a namespace and records it (before anything is put in it) for removal. */
export async function addNetns(name: string, made: string[]): Promise<void> {
  await ip('netns', 'add', name);
  made.push(name);
  await ip('-n', name, 'link', 'set', 'lo', 'up');
}

export async function buildUnderlay(plan: LabPlan, made: string[]): Promise<void> {
  const ul = plan.underlayNetns;
  await addNetns(ul, made);
  await ip('-n', ul, 'link', 'add', 'br0', 'type', 'bridge');
  await ip('-n', ul, 'link', 'set', 'br0', 'up');
}

/** A node namespace that forwards (and does not drop asymmetric routes). */
async function addNodeNetns(netns: string, made: string[]): Promise<void> {
  await addNetns(netns, made);
  await inNetns(
    netns,
    'sysctl',
    '-qw',
    'net.ipv4.ip_forward=1',
    'net.ipv6.conf.all.forwarding=1',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
  );
}

export async function buildNode(plan: LabPlan, node: LabNodePlan, made: string[]): Promise<void> {
  await addNodeNetns(node.netns, made);
  const ul = plan.underlayNetns;
  await ip(
    '-n',
    ul,
    'link',
    'add',
    node.underlayIf,
    'type',
    'veth',
    'peer',
    'name',
    'underlay0',
    'netns',
    node.netns,
  );
  await ip('-n', ul, 'link', 'set', node.underlayIf, 'master', 'br0', 'up');
  await ip('-n', node.netns, 'link', 'set', 'underlay0', 'up');
  await ip('-n', node.netns, 'addr', 'add', `${node.ipv4}/24`, 'dev', 'underlay0');
  await ip('-n', node.netns, 'addr', 'add', `${node.ipv6}/64`, 'dev', 'underlay0', 'nodad');
}

export async function buildPod(node: LabNodePlan, pod: LabPodPlan, made: string[]): Promise<void> {
  await addNetns(pod.netns, made);
  await wirePod(node, pod);
}

/**
 * Joins an existing pod namespace to its node, as a routed-veth CNI does and in its order: the veth
 * (host side in the node), then the pod's addresses, the node's routes and neighbours, the pod's
 * default routes. Until the route exists nothing reaches the pod.
 */
export async function wirePod(
  node: Pick<LabNodePlan, 'netns'>,
  pod: Pick<LabPodPlan, 'netns' | 'hostIf' | 'ips'>,
): Promise<void> {
  const netns = pod.netns;
  await ip(
    '-n',
    node.netns,
    'link',
    'add',
    pod.hostIf,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    netns,
  );
  await ip('-n', node.netns, 'link', 'set', pod.hostIf, 'up');
  await ip('-n', node.netns, 'addr', 'add', 'fe80::1/64', 'dev', pod.hostIf, 'nodad');
  await ip('-n', netns, 'link', 'set', 'eth0', 'up');
  const hostMac = await macOf(node.netns, pod.hostIf);
  const podMac = await macOf(netns, 'eth0');
  let v4 = false;
  let v6 = false;
  for (const address of pod.ips) {
    const six = address.includes(':');
    await ip(
      '-n',
      netns,
      'addr',
      'add',
      `${address}/${six ? 128 : 32}`,
      'dev',
      'eth0',
      ...(six ? ['nodad'] : []),
    );
    await routeToAddress(node.netns, address, 'dev', pod.hostIf);
    await permanentNeighbour(node.netns, address, podMac, pod.hostIf);
    if (six) v6 = true;
    else v4 = true;
  }
  if (v4) {
    await ip('-n', netns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
    await ip('-n', netns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0');
    await permanentNeighbour(netns, '169.254.1.1', hostMac, 'eth0');
  }
  if (v6) {
    await ip('-n', netns, '-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'eth0');
    await permanentNeighbour(netns, 'fe80::1', hostMac, 'eth0');
  }
}

/** On `node`, routes to a pod of another node through that node's underlay address. */
export async function routeToRemotePod(
  node: LabNodePlan,
  owner: LabNodePlan,
  pod: LabPodPlan,
): Promise<void> {
  for (const address of pod.ips) {
    const via = address.includes(':') ? owner.ipv6 : owner.ipv4;
    await routeToAddress(node.netns, address, 'via', via, 'dev', 'underlay0');
  }
}

/** `ip route add <address>/32` (or `-6 ... /128`) in `netns`, then `rest` (`dev X`, `via Y dev X`). */
async function routeToAddress(netns: string, address: string, ...rest: string[]): Promise<void> {
  const six = address.includes(':');
  await ip('-n', netns, ...(six ? ['-6'] : []), 'route', 'add', `${address}/${six ? 128 : 32}`, ...rest);
}

/** A neighbour entry that never expires: the lab's routed links then need no ARP or ND to start. */
async function permanentNeighbour(netns: string, address: string, mac: string, dev: string): Promise<void> {
  const family = address.includes(':') ? ['-6'] : [];
  await ip(
    '-n',
    netns,
    ...family,
    'neigh',
    'replace',
    address,
    'lladdr',
    mac,
    'dev',
    dev,
    'nud',
    'permanent',
  );
}

/** Deletes namespaces (their links go with them), newest first; never throws. */
export async function deleteNetns(names: string[]): Promise<void> {
  for (const name of names.splice(0).reverse()) await ip('netns', 'del', name).catch(() => undefined);
}

/** The lab's namespaces still present (for clean-up checks and `lab down`). */
export async function listNetns(prefix: string): Promise<string[]> {
  const text = await ip('netns', 'list');
  return text
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

export interface NodePod {
  readonly name: string;
  readonly netns: string;
  /** The host-side veth, in the node namespace. */
  readonly hostIf: string;
  readonly ipv4: string;
  readonly ipv6: string;
  /** Serves TCP and UDP on the pod's ports; probes, keeps and echoes connections. */
  readonly agent: PodProcess;
}

/**
 * One node namespace and its pods (behind routed host veths, `hv-<name>`), with no underlay and no
 * agent: for tests and benches that drive the dataplane themselves. The node's own addresses are
 * on its loopback (node-originated traffic has a source the dataplane can classify) and it runs a
 * PodProcess too (nodeAgent) to connect from the node. Each pod's process serves before the pod
 * has a network, so the first packet that reaches a pod is answered. destroy() kills the processes
 * and deletes the namespaces (the veths go with them); safe to call twice.
 */
export class NodeNetwork {
  readonly nodeNetns: string;
  readonly pods = new Map<string, NodePod>();
  nodeAgent: PodProcess | null = null;
  private readonly made: string[] = [];
  private readonly processes: PodProcess[] = [];

  constructor(
    readonly prefix: string,
    readonly nodeAddresses: { readonly ipv4: string; readonly ipv6: string },
  ) {
    this.nodeNetns = `${prefix}node`;
  }

  async createNode(): Promise<void> {
    const node = this.nodeNetns;
    await addNodeNetns(node, this.made);
    // On loopback: no dummy links needed, and a global address on lo is chosen as the source of
    // the node's own connections just the same.
    await ip('-n', node, 'addr', 'add', `${this.nodeAddresses.ipv4}/32`, 'dev', 'lo');
    await ip('-n', node, 'addr', 'add', `${this.nodeAddresses.ipv6}/128`, 'dev', 'lo', 'nodad');
    this.nodeAgent = this.started(PodProcess.start(node, 'node', { tcp: [], udp: [] }));
    await this.nodeAgent.ready;
  }

  async addPod(spec: {
    name: string;
    ipv4: string;
    ipv6: string;
    ports: readonly number[];
  }): Promise<NodePod> {
    const netns = `${this.prefix}${spec.name}`;
    const hostIf = `hv-${spec.name}`;
    await addNetns(netns, this.made);
    const agent = this.started(PodProcess.start(netns, spec.name, { tcp: spec.ports, udp: spec.ports }));
    await agent.ready;
    await wirePod({ netns: this.nodeNetns }, { netns, hostIf, ips: [spec.ipv4, spec.ipv6] });
    const pod: NodePod = { name: spec.name, netns, hostIf, ipv4: spec.ipv4, ipv6: spec.ipv6, agent };
    this.pods.set(spec.name, pod);
    return pod;
  }

  pod(name: string): NodePod {
    const pod = this.pods.get(name);
    if (!pod) throw new Error(`no pod ${name} on the node`);
    return pod;
  }

  /** The pod and node processes it started (a clean-up check looks for them). */
  pids(): number[] {
    return this.processes.map((process) => process.pid);
  }

  async destroy(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((process) => process.stop()));
    await deleteNetns(this.made);
  }

  private started(process: PodProcess): PodProcess {
    this.processes.push(process);
    return process;
  }
}
