/**
 * A running lab: the network of lab-plan.ts built (netns.ts), a process serving and probing in
 * every pod (pod-process.ts), a redis-server for drop events, the Kubernetes API stand-in loaded
 * with the state, and one real agent per node (lab-agent.ts), each with its own pin directory
 * under /sys/fs/bpf/<prefix><node>. A stand-in and a Redis already running (the control plane's,
 * in the reference scenario demo) can be given instead: the lab seeds the stand-in and leaves both. Lab.start() resolves once every agent reports ready and
 * removes everything it made when a step fails; destroy() removes everything (idempotent).
 *
 * Changing the cluster under a running lab (tests): converge() writes the differences to the
 * stand-in, then sync() waits until every agent enforces them. sync() uses the canaries (planned
 * with `syncCanaries`): a policy admits one of two ports to a canary target on every node; it is
 * switched to the first port, and once every target answers on it (the pass that wrote it has
 * started on every agent, so every earlier event is applied or queued), to the second; once that
 * answers too, the earlier pass is complete everywhere. Watch events of one kind arrive in order;
 * label changes (other kinds) are written before the policies, over loopback, long before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkingV1Api } from '@kubernetes/client-node';
import { startKubeApiStandIn, type KubeApiStandIn } from '../kube-api';
import { freePort, startRedis, type TestRedis } from '../redis/redis-server';
import { LabAgent } from './lab-agent';
import { SYNC_NAMESPACE, SYNC_PORTS, syncPolicy, withNodes, type LabPlan, type LabPodPlan } from './lab-plan';
import { buildNode, buildPod, buildUnderlay, deleteNetns, listNetns, routeToRemotePod } from './netns';
import { PodProcess, type ProbeProtocol } from './pod-process';

type Obj = Record<string, unknown>;

export interface LabOptions {
  readonly plan: LabPlan;
  readonly repoRoot: string;
  /** Run the agents from dist/ or from source. */
  readonly form: 'built' | 'source';
  readonly bpfObject: string;
  readonly bpfLoader: string;
  /** Serve the stand-in over HTTPS (kubectl needs it). Default false. */
  readonly tls?: boolean;
  readonly cluster?: string;
  /** Progress lines (to stderr in the CLI). */
  readonly progress?: (line: string) => void;
  /** How long the agents may take to report ready. Default 120 s. */
  readonly readyTimeoutMs?: number;
  /**
   * A running stand-in to use instead of starting one (the control plane's, in the reference
   * scenario demo): the lab seeds the plan's objects into it and leaves it running on destroy().
   */
  readonly standIn?: KubeApiStandIn;
  /** A running Redis for drop events instead of starting one; left running on destroy(). */
  readonly redisUrl?: string;
  /** More agent settings (e.g. NETPOL_FLOW_SAMPLE_ONE_IN for observed flows); the lab's own win. */
  readonly agentEnv?: Readonly<Record<string, string>>;
}

/** What a running lab made, for `lab down` to find and for clean-up checks. */
export interface LabInventory {
  readonly prefix: string;
  readonly namespaces: readonly string[];
  readonly pinDirs: readonly string[];
  readonly pids: readonly number[];
  readonly workDir: string;
}

export type Matrix = Record<string, Record<string, boolean>>;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function key(o: Obj): string {
  const meta = (o.metadata ?? {}) as Obj;
  return `${typeof meta.namespace === 'string' ? meta.namespace : ''}/${String(meta.name)}`;
}

export class Lab {
  readonly namespaces: string[] = [];
  readonly pinDirs: string[] = [];
  readonly agents: LabAgent[] = [];
  readonly pods = new Map<string, PodProcess>();
  readonly workDir: string;
  readonly kubeconfigPath: string;
  standIn: KubeApiStandIn | undefined;
  redis: TestRedis | undefined;
  private destroyed = false;

  private constructor(readonly options: LabOptions) {
    this.workDir = mkdtempSync(join(tmpdir(), `${options.plan.prefix}work-`));
    this.kubeconfigPath = join(this.workDir, 'kubeconfig');
  }

  get plan(): LabPlan {
    return this.options.plan;
  }

  /** A lab not built yet: destroy() works on it at any point of build() (Ctrl-C while building). */
  static prepare(options: LabOptions): Lab {
    return new Lab(options);
  }

  static async start(options: LabOptions): Promise<Lab> {
    const lab = new Lab(options);
    await lab.build();
    return lab;
  }

  private progress(line: string): void {
    this.options.progress?.(line);
  }

  /** Builds the lab; on failure removes what it made and rethrows. */
  async build(): Promise<void> {
    try {
      await this.buildSteps();
    } catch (err) {
      await this.destroy();
      throw err;
    }
  }

  private async buildSteps(): Promise<void> {
    const { plan } = this.options;
    const nodes = new Map(plan.nodes.map((node) => [node.name, node]));
    const everyPod = [...plan.pods, ...plan.canaries];
    this.progress(`building ${plan.nodes.length} node(s) and ${plan.pods.length} pod(s)`);
    await buildUnderlay(plan, this.namespaces);
    for (const node of plan.nodes) await buildNode(plan, node, this.namespaces);
    for (const pod of everyPod) await buildPod(nodes.get(pod.node)!, pod, this.namespaces);
    for (const node of plan.nodes) {
      for (const pod of everyPod) {
        if (pod.node !== node.name) await routeToRemotePod(node, nodes.get(pod.node)!, pod);
      }
    }
    for (const pod of everyPod) {
      this.pods.set(pod.key, PodProcess.start(pod.netns, pod.key, { tcp: pod.tcpPorts, udp: pod.udpPorts }));
    }
    await Promise.all([...this.pods.values()].map((pod) => pod.ready));

    if (this.options.redisUrl === undefined) this.redis = await startRedis();
    const redisUrl = this.options.redisUrl ?? this.redis!.url;
    const byKind = (kind: string) => plan.objects.filter((o) => o.kind === kind);
    if (this.options.standIn !== undefined) {
      this.standIn = this.options.standIn;
      this.standIn.seed([...byKind('Namespace'), ...byKind('Pod'), ...byKind('NetworkPolicy')]);
    } else {
      this.standIn = await this.startOwnStandIn(byKind);
    }
    await this.standIn.writeKubeconfig(this.kubeconfigPath);

    for (const node of plan.nodes) {
      const pinDir = `/sys/fs/bpf/${plan.prefix}${node.name}`;
      this.pinDirs.push(pinDir);
      this.agents.push(
        LabAgent.start({
          repoRoot: this.options.repoRoot,
          form: this.options.form,
          healthPort: await freePort(),
          env: {
            ...this.options.agentEnv,
            NODE_NAME: node.name,
            NETPOL_CLUSTER: this.options.cluster ?? 'lab',
            NETPOL_NODE_ADDRESSES: `${node.ipv4},${node.ipv6}`,
            KUBECONFIG: this.kubeconfigPath,
            NETPOL_BPF_PIN_DIR: pinDir,
            NETPOL_NODE_NETNS: node.netns,
            NETPOL_HOST_VETH_PREFIXES: 'hv',
            NETPOL_BPF_OBJECT: this.options.bpfObject,
            NETPOL_BPF_LOADER: this.options.bpfLoader,
            REDIS_URL: redisUrl,
            LOG_LEVEL: 'info',
          },
        }),
      );
    }
    this.progress(`waiting for ${this.agents.length} agent(s) to report ready`);
    await this.untilReady(this.options.readyTimeoutMs ?? 120_000);
  }

  private startOwnStandIn(byKind: (kind: string) => Obj[]): Promise<KubeApiStandIn> {
    return startKubeApiStandIn({
      tls: this.options.tls ?? false,
      recordRequests: false,
      initial: {
        namespaces: byKind('Namespace'),
        pods: byKind('Pod'),
        networkpolicies: byKind('NetworkPolicy'),
      },
    });
  }

  /** Resolves once every agent answers /readyz with 200; throws with an agent's output otherwise. */
  async untilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const dead = this.agents.find((agent) => !agent.running);
      if (dead !== undefined) throw new Error(`an agent exited:\n${dead.lines.slice(-30).join('\n')}`);
      const ready = await Promise.all(this.agents.map((agent) => agent.ready()));
      if (ready.every(Boolean)) return;
      if (Date.now() > deadline) {
        const slow = this.agents[ready.indexOf(false)]!;
        throw new Error(
          `an agent did not become ready in ${timeoutMs} ms:\n${slow.lines.slice(-30).join('\n')}`,
        );
      }
      await pause(100);
    }
  }

  private pod(plan: LabPodPlan): PodProcess {
    return this.pods.get(plan.key)!;
  }

  /**
   * Every pod to every pod's primary IP on `port`, all at once; with `family`, to each pod's
   * address of that family instead (dual-stack pods: the other family is enforced too). A pod
   * without an address of the family is a closed cell.
   */
  async probeMatrix(
    port: number,
    protocol: ProbeProtocol,
    timeoutMs = 1_500,
    family?: 4 | 6,
  ): Promise<Matrix> {
    const pods = this.plan.pods;
    const target = (to: LabPodPlan): string | undefined =>
      family === undefined ? to.ips[0] : to.ips.find((ip) => ip.includes(':') === (family === 6));
    const rows = await Promise.all(
      pods.map(async (from) => {
        const cells = await Promise.all(
          pods.map(async (to) => {
            const address = target(to);
            return (
              address !== undefined && (await this.pod(from).probe(protocol, address, port, timeoutMs)).ok
            );
          }),
        );
        return [from.key, Object.fromEntries(pods.map((to, i) => [to.key, cells[i]!]))] as const;
      }),
    );
    return Object.fromEntries(rows);
  }

  /**
   * Makes the stand-in hold `desired` (namespaces, pods and NetworkPolicies of the state's own
   * namespaces): labels of namespaces and pods, policies created, replaced or deleted. Returns
   * how many writes it made.
   */
  async converge(desired: readonly object[]): Promise<number> {
    const standIn = this.standIn!;
    const objects = withNodes(this.plan, desired);
    const labels = (o: Obj | undefined) => JSON.stringify(((o?.metadata ?? {}) as Obj).labels ?? {});
    let writes = 0;
    for (const kind of ['Namespace', 'Pod'] as const) {
      for (const object of objects.filter((o) => o.kind === kind)) {
        const meta = object.metadata as Obj;
        const current =
          kind === 'Namespace'
            ? standIn.store.get('namespaces', undefined, String(meta.name))
            : standIn.store.get('pods', String(meta.namespace ?? 'default'), String(meta.name));
        if (current === undefined)
          throw new Error(`the lab cannot add ${kind} ${key(object)}: it was not planned`);
        if (labels(current) !== labels(object)) {
          const copy = structuredClone(current);
          (copy.metadata as Obj).labels = (meta.labels as Obj | undefined) ?? {};
          standIn.seed([copy]);
          writes++;
        }
      }
    }
    const wanted = new Map(objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => [key(o), o]));
    for (const policy of wanted.values()) {
      const meta = policy.metadata as Obj;
      const current = standIn.store.get(
        'networkpolicies',
        String(meta.namespace ?? 'default'),
        String(meta.name),
      );
      if (current === undefined || JSON.stringify(current.spec) !== JSON.stringify(policy.spec)) {
        standIn.seed([policy]);
        writes++;
      }
    }
    const api = standIn.kubeConfig().makeApiClient(NetworkingV1Api);
    for (const current of standIn.store.list('networkpolicies')) {
      const meta = current.metadata as Obj;
      if (meta.namespace === SYNC_NAMESPACE || wanted.has(key(current))) continue;
      await api.deleteNamespacedNetworkPolicy({ name: String(meta.name), namespace: String(meta.namespace) });
      writes++;
    }
    return writes;
  }

  /** Waits until every agent enforces everything written so far (see the header); needs canaries. */
  async sync(timeoutMs = 60_000): Promise<void> {
    const prober = this.plan.canaries.find((c) => c.canary === 'prober');
    const targets = this.plan.canaries.filter((c) => c.canary === 'target');
    if (prober === undefined) throw new Error('sync() needs a lab planned with syncCanaries');
    const deadline = Date.now() + timeoutMs;
    for (const port of SYNC_PORTS) {
      this.standIn!.seed([syncPolicy(port)]);
      for (;;) {
        const answers = await Promise.all(
          targets.map((target) => this.pod(prober).probe('TCP', target.ips[0]!, port, 250)),
        );
        if (answers.every((answer) => answer.ok)) break;
        if (Date.now() > deadline)
          throw new Error(`the agents did not enforce a change within ${timeoutMs} ms`);
      }
    }
    await this.untilReady(Math.max(1_000, deadline - Date.now()));
  }

  inventory(): LabInventory {
    return {
      prefix: this.plan.prefix,
      namespaces: [...this.namespaces],
      pinDirs: [...this.pinDirs],
      pids: [...this.agents.map((a) => a.pid), ...[...this.pods.values()].map((p) => p.pid)],
      workDir: this.workDir,
    };
  }

  /** Stops every process and removes every namespace, pin directory and file the lab made. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all(this.agents.map((agent) => agent.stop()));
    await Promise.all([...this.pods.values()].map((pod) => pod.stop()));
    await deleteNetns(this.namespaces);
    // A namespace made while this ran (a build interrupted mid-step) has the lab's prefix too.
    await deleteNetns(await listNetns(this.plan.prefix).catch(() => []));
    for (const dir of this.pinDirs) rmSync(dir, { recursive: true, force: true });
    if (this.options.standIn === undefined) await this.standIn?.close().catch(() => undefined);
    await this.redis?.stop().catch(() => undefined);
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
