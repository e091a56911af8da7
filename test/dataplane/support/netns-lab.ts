/**
 * A node and its pods as network namespaces, in the routed-veth layout of the EKS VPC CNI and
 * Calico: each pod a /32 (and /128) route in the node namespace to its host-side veth, the pod's
 * default route through a link-local gateway on that veth (static neighbours: no ARP or ND
 * races). The node has its own addresses (on its loopback), so node-originated traffic has a source
 * the dataplane can classify. Nothing is created in, or changed about, the root namespace.
 *
 * Every pod (and the node) runs POD_AGENT_SOURCE: echo servers on its ports and a client driven
 * over stdin. destroy() kills the processes and deletes the namespaces (and with them the veths).
 */
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { POD_AGENT_SOURCE } from './pod-agent-source';

const run = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args);
  return stdout;
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly error?: string;
}

/** The agent process in one namespace: servers plus a client. */
export class PodAgent {
  private readonly pending = new Map<number, (result: ProbeResult) => void>();
  private nextId = 1;
  readonly ready: Promise<void>;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    let markReady: () => void = () => {};
    let fail: (err: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      fail = reject;
    });
    child.on('exit', (code) => fail(new Error(`pod agent exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { ready?: boolean; id?: number; ok?: boolean; error?: string };
      if (message.ready) return markReady();
      const resolve = this.pending.get(message.id ?? -1);
      this.pending.delete(message.id ?? -1);
      resolve?.({ ok: message.ok === true, error: message.error });
    });
  }

  static start(netns: string, ports: readonly number[]): PodAgent {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', POD_AGENT_SOURCE], {
      env: { ...process.env, POD_PORTS: JSON.stringify(ports) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return new PodAgent(child);
  }

  private request(message: Record<string, unknown>): Promise<ProbeResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(JSON.stringify({ ...message, id }) + '\n');
    });
  }

  connect(host: string, port: number, timeoutMs = 1_000): Promise<ProbeResult> {
    return this.request({ op: 'connect', host, port, timeoutMs });
  }
  open(conn: string, host: string, port: number, timeoutMs = 1_000): Promise<ProbeResult> {
    return this.request({ op: 'open', conn, host, port, timeoutMs });
  }
  echo(conn: string, timeoutMs = 1_000): Promise<ProbeResult> {
    return this.request({ op: 'echo', conn, timeoutMs });
  }
  udp(host: string, port: number, timeoutMs = 1_000): Promise<ProbeResult> {
    return this.request({ op: 'udp', host, port, timeoutMs });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

export interface LabPod {
  readonly name: string;
  readonly netns: string;
  /** The host-side veth, in the node namespace. */
  readonly hostIf: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly agent: PodAgent;
}

export interface PodSpec {
  readonly name: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly ports: readonly number[];
}

async function macOf(netns: string, ifname: string): Promise<string> {
  const [link] = JSON.parse(await ip('-n', netns, '-j', 'link', 'show', 'dev', ifname)) as {
    address: string;
  }[];
  return link!.address;
}

export class NetnsLab {
  readonly nodeNetns: string;
  readonly pods = new Map<string, LabPod>();
  private readonly namespaces: string[] = [];
  private readonly agents: PodAgent[] = [];
  nodeAgent: PodAgent | null = null;

  constructor(
    readonly prefix: string,
    readonly nodeAddresses: { readonly ipv4: string; readonly ipv6: string },
  ) {
    this.nodeNetns = `${prefix}node`;
  }

  async createNode(): Promise<void> {
    const node = this.nodeNetns;
    await ip('netns', 'add', node);
    this.namespaces.push(node);
    await ip('-n', node, 'link', 'set', 'lo', 'up');
    await run('ip', [
      'netns',
      'exec',
      node,
      'sysctl',
      '-qw',
      'net.ipv4.ip_forward=1',
      'net.ipv6.conf.all.forwarding=1',
    ]);
    // On loopback: this kernel has no dummy links, and a global address on lo is chosen as the
    // source of the node's own connections just the same.
    await ip('-n', node, 'addr', 'add', `${this.nodeAddresses.ipv4}/32`, 'dev', 'lo');
    await ip('-n', node, 'addr', 'add', `${this.nodeAddresses.ipv6}/128`, 'dev', 'lo', 'nodad');
    this.nodeAgent = PodAgent.start(node, []);
    this.agents.push(this.nodeAgent);
    await this.nodeAgent.ready;
  }

  async addPod(spec: PodSpec): Promise<LabPod> {
    const node = this.nodeNetns;
    const netns = `${this.prefix}${spec.name}`;
    const hostIf = `hv-${spec.name}`;
    await ip('netns', 'add', netns);
    this.namespaces.push(netns);
    // Serving before the pod has a network, as a container can: the first packet that reaches the
    // pod is answered, so a test sees the first packet the dataplane lets through.
    await ip('-n', netns, 'link', 'set', 'lo', 'up');
    const agent = PodAgent.start(netns, spec.ports);
    this.agents.push(agent);
    await agent.ready;
    await ip('-n', node, 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    await ip('-n', node, 'link', 'set', hostIf, 'up');
    await ip('-n', node, 'addr', 'add', 'fe80::1/64', 'dev', hostIf, 'nodad');
    await ip('-n', node, 'route', 'add', `${spec.ipv4}/32`, 'dev', hostIf);
    await ip('-n', node, '-6', 'route', 'add', `${spec.ipv6}/128`, 'dev', hostIf);
    await ip('-n', netns, 'link', 'set', 'eth0', 'up');
    await ip('-n', netns, 'addr', 'add', `${spec.ipv4}/32`, 'dev', 'eth0');
    await ip('-n', netns, 'addr', 'add', `${spec.ipv6}/128`, 'dev', 'eth0', 'nodad');
    await ip('-n', netns, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
    await ip('-n', netns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0');
    await ip('-n', netns, '-6', 'route', 'add', 'default', 'via', 'fe80::1', 'dev', 'eth0');
    const hostMac = await macOf(node, hostIf);
    const podMac = await macOf(netns, 'eth0');
    await ip(
      '-n',
      netns,
      'neigh',
      'replace',
      '169.254.1.1',
      'lladdr',
      hostMac,
      'dev',
      'eth0',
      'nud',
      'permanent',
    );
    await ip(
      '-n',
      netns,
      '-6',
      'neigh',
      'replace',
      'fe80::1',
      'lladdr',
      hostMac,
      'dev',
      'eth0',
      'nud',
      'permanent',
    );
    await ip('-n', node, 'neigh', 'replace', spec.ipv4, 'lladdr', podMac, 'dev', hostIf, 'nud', 'permanent');
    await ip(
      '-n',
      node,
      '-6',
      'neigh',
      'replace',
      spec.ipv6,
      'lladdr',
      podMac,
      'dev',
      hostIf,
      'nud',
      'permanent',
    );
    const pod: LabPod = { name: spec.name, netns, hostIf, ipv4: spec.ipv4, ipv6: spec.ipv6, agent };
    this.pods.set(spec.name, pod);
    return pod;
  }

  pod(name: string): LabPod {
    const pod = this.pods.get(name);
    if (!pod) throw new Error(`no pod ${name} in the lab`);
    return pod;
  }

  /** Kills every agent and deletes every namespace this lab made; safe to call twice. */
  async destroy(): Promise<void> {
    await Promise.all(this.agents.splice(0).map((agent) => agent.stop()));
    for (const netns of this.namespaces.splice(0).reverse()) {
      await ip('netns', 'del', netns).catch(() => undefined);
    }
  }
}
