/**
 * One node for the real node agent over real packets, shared by test/dataplane/agent.test.ts and
 * test/lab/audit-agent.test.ts: a node namespace with pods behind routed host veths (NodeNetwork),
 * a real redis-server (drop events, flows), the Kubernetes API stand-in holding the namespaces
 * frontend and backend and the pods (their podIPs the lab's, spec.nodeName the node), and the agent
 * as a child process configured through its environment.
 *
 * Lifecycle: start() builds it all and starts the agent, removing what it made when a step fails;
 * startAgent() starts it again after a test killed it; teardown() removes everything once (the last
 * test calls it to check with remains(), afterAll again after a failure). Everything made carries
 * the caller's prefix (np-dp-<pid>-…), which sweepLeftovers() matches after a killed run.
 */
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { dropStreamKey, parseDropEventEntry, type DropEvent } from '../../../src/contracts/drop-events';
import { startKubeApiStandIn, type KubeApiStandIn } from '../../../src/devtools/kube-api';
import { NodeNetwork } from '../../../src/devtools/lab/netns';
import { startRedis, type TestRedis } from '../../../src/devtools/redis/redis-server';
import { AgentProcess } from './agent-process';
import {
  LOADER_PATH,
  OBJECT_PATH,
  ensureDataplanePrerequisites,
  sweepLeftovers,
} from './dataplane-prerequisites';
import { childPids, leftovers, untilGone } from './leftovers';

export const NODE_NAME = 'node-1';
export const CLUSTER = 'lab';

/** A lab pod: its Kubernetes namespace, name and labels, and its addresses on the node. */
export interface LabPodSpec {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ipv4: string;
  readonly ipv6: string;
}

export interface AgentLabOptions {
  /** Names every namespace, link, pin directory and file made (np-dp-<pid>-…). */
  readonly prefix: string;
  readonly node: { readonly ipv4: string; readonly ipv6: string };
  /** On the node and in the API before the agent starts, by lab name. */
  readonly pods: Readonly<Record<string, LabPodSpec>>;
  /** The ports each pod's servers listen on. */
  readonly ports: readonly number[];
  /** Agent environment over the defaults (LOG_LEVEL info). */
  readonly agentEnv?: Readonly<Record<string, string>>;
}

export class AgentLab {
  readonly pinDir: string;
  readonly kubeconfig: string;
  readonly stream = dropStreamKey('netpol', CLUSTER);
  readonly lab: NodeNetwork;
  redis: TestRedis | undefined;
  client: Redis | undefined;
  standIn: KubeApiStandIn | undefined;
  agent: AgentProcess | undefined;
  /** The running agent's health port (it picks a free one at each start). */
  healthPort = 0;
  private env: Record<string, string> = {};
  private tornDown: Promise<void> | undefined;

  private constructor(private readonly options: AgentLabOptions) {
    this.pinDir = `/sys/fs/bpf/${options.prefix}agent`;
    this.kubeconfig = join(tmpdir(), `${options.prefix}kubeconfig`);
    this.lab = new NodeNetwork(options.prefix, options.node);
  }

  /** Builds the node, the pods, Redis and the API stand-in, and starts the agent (ready). */
  static async start(options: AgentLabOptions): Promise<AgentLab> {
    ensureDataplanePrerequisites();
    sweepLeftovers();
    const made = new AgentLab(options);
    try {
      await made.build();
    } catch (err) {
      await made.teardown();
      throw err;
    }
    return made;
  }

  private async build(): Promise<void> {
    const { node, pods, ports } = this.options;
    await this.lab.createNode();
    for (const [name, pod] of Object.entries(pods)) {
      await this.lab.addPod({ name, ipv4: pod.ipv4, ipv6: pod.ipv6, ports: [...ports] });
    }
    this.redis = await startRedis();
    this.client = new Redis(this.redis.url, { maxRetriesPerRequest: null });
    this.standIn = await startKubeApiStandIn({
      initial: {
        namespaces: ['frontend', 'backend'].map((name) => ({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
        })),
        pods: Object.values(pods).map((pod) => podObject(pod)),
      },
    });
    await this.standIn.writeKubeconfig(this.kubeconfig);
    this.env = {
      NODE_NAME,
      NETPOL_CLUSTER: CLUSTER,
      NETPOL_NODE_ADDRESSES: `${node.ipv4},${node.ipv6}`,
      KUBECONFIG: this.kubeconfig,
      NETPOL_BPF_PIN_DIR: this.pinDir,
      NETPOL_NODE_NETNS: this.lab.nodeNetns,
      NETPOL_HOST_VETH_PREFIXES: 'hv-',
      NETPOL_BPF_OBJECT: OBJECT_PATH,
      NETPOL_BPF_LOADER: LOADER_PATH,
      REDIS_URL: this.redis.url,
      NETPOL_AGENT_HEALTH_HOST: '127.0.0.1',
      NETPOL_AGENT_HEALTH_PORT: '0',
      LOG_LEVEL: 'info',
      ...this.options.agentEnv,
    };
    await this.startAgent();
  }

  /** Starts the agent and waits until it is ready: its own /readyz says so, and it logged its sync. */
  async startAgent(): Promise<void> {
    const started = AgentProcess.start(this.env);
    this.agent = started;
    // A deadline, not a pause: the agent transpiles its TypeScript on load, which took over 30 s
    // once on a CI machine starved by real-time processes of another job.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const port = announcedPort(started);
      if (port !== undefined) this.healthPort = port;
      if (
        port !== undefined &&
        (await readyz(port)) &&
        started.lines.some((line) => line.includes('"maps in sync"'))
      )
        return;
      if (!started.running || Date.now() > deadline) {
        const why = started.running ? 'still not ready after 60 s' : 'it exited';
        throw new Error(`the agent did not become ready (${why}):\n${started.lines.slice(-40).join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The running agent's JSON log lines with this message (`fields` matched too). */
  logged(msg: string, fields: Record<string, unknown> = {}): Record<string, unknown>[] {
    return (this.agent?.lines ?? []).flatMap((line) => {
      if (!line.includes(`"${msg}"`)) return [];
      const entry = JSON.parse(line) as Record<string, unknown>;
      return Object.entries(fields).every(([k, v]) => JSON.stringify(entry[k]) === JSON.stringify(v))
        ? [entry]
        : [];
    });
  }

  /** One series of the agent's /metrics (0 when absent). */
  async metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.healthPort}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}${labels} `) || l.startsWith(`${name}${labels}{`));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  /** The drop events in the cluster's stream (single-event and batched entries alike). */
  async drops(): Promise<DropEvent[]> {
    const entries = await this.client!.xrange(this.stream, '-', '+');
    return entries.flatMap(([, fields]) => parseDropEventEntry(fields) ?? []);
  }

  /** The processes teardown() must end: the agent and its loader helper, the pods' servers, Redis. */
  pids(): number[] {
    const agent = this.agent === undefined ? [] : [this.agent.pid, ...childPids(this.agent.pid)];
    return [...agent, ...this.lab.pids(), ...childPids(process.pid, 'redis-server')];
  }

  /** What is left of the lab after teardown(): namespaces, pins, the given processes, the kubeconfig. */
  async remains(pids: readonly number[]): Promise<string[]> {
    const left = await leftovers({ netnsPrefix: this.options.prefix, pinDirs: [this.pinDir], pids });
    return existsSync(this.kubeconfig) ? [...left, this.kubeconfig] : left;
  }

  /** Removes everything, once. */
  teardown(): Promise<void> {
    this.tornDown ??= this.removeAll();
    return this.tornDown;
  }

  private async removeAll(): Promise<void> {
    // The loader helper outlives a SIGKILLed agent until it reads the end of its stdin.
    const helpers = this.agent?.running ? childPids(this.agent.pid) : [];
    await this.agent?.kill();
    await untilGone(helpers);
    this.client?.disconnect();
    await this.standIn?.close();
    await this.redis?.stop();
    await this.lab.destroy();
    rmSync(this.pinDir, { recursive: true, force: true });
    rmSync(this.kubeconfig, { force: true });
  }
}

/** A running pod of the node, as the API stand-in holds it (named port http: 80). */
export function podObject(pod: LabPodSpec, labels: Readonly<Record<string, string>> = pod.labels) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace, labels },
    spec: {
      nodeName: NODE_NAME,
      containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }] }],
    },
    status: { phase: 'Running', podIP: pod.ipv4, podIPs: [{ ip: pod.ipv4 }, { ip: pod.ipv6 }] },
  };
}

async function readyz(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

/**
 * The port the agent said it listens on (its "agent started" line), undefined before it says so.
 * The agent listens on port 0 (any free port): a fixed port would be free between a kill and the
 * restart, and another test's freePort() could hand it to its own server, whose /readyz would then
 * answer for an agent that failed to start (EADDRINUSE) or has not synced yet.
 */
function announcedPort(child: AgentProcess): number | undefined {
  for (const line of child.lines) {
    if (!line.includes('"agent started"')) continue;
    const port = (JSON.parse(line) as { healthPort?: unknown }).healthPort;
    if (typeof port === 'number') return port;
  }
  return undefined;
}
