/**
 * The reference scenario on real packets, for reference-scenario-demo.ts: a one-node lab of
 * examples/reference-cluster.yaml whose agent watches the control plane's own Kubernetes API
 * stand-in (the one the worker writes approved policies to) and publishes its drops to the control
 * plane's Redis. curl runs in the frontend pod's namespace against backend's address; the waits
 * poll the wire (a new connection each time) until the agent enforces what the API now holds.
 * Needs root, bpffs and the built eBPF objects: `whyNoLab()` says what is missing, in one line.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import Redis from 'ioredis';
import { dropStreamKey, parseDropEventEntry, type DropEvent } from '../../contracts/drop-events';
import { OWN_FORM } from '../../platform/entry-point';
import type { KubeApiStandIn } from '../kube-api';
import { parseStateText } from '../kube-stand-in';
import { Lab } from './lab';
import { planLab, type LabPodPlan } from './lab-plan';

const BPF_FS_MAGIC = 0xcafe4a11;
/** The agent's stream prefix (NETPOL_PREFIX unset: netpol's default). */
const AGENT_PREFIX = 'netpol';

/** What the real-packet part needs and this machine lacks ("the lab needs ..."), or null. */
export function whyNoLab(repoRoot: string): string | null {
  if (process.getuid?.() !== 0)
    return 'root (network namespaces for the pods, eBPF programs on their veths): run scripts/run.sh as root';
  try {
    if (statfsSync('/sys/fs/bpf').type !== BPF_FS_MAGIC) return 'bpffs mounted at /sys/fs/bpf';
  } catch {
    return 'BPF, and this kernel has no /sys/fs/bpf';
  }
  for (const file of ['netpol.bpf.o', 'netpol-loader']) {
    if (!existsSync(join(repoRoot, 'bpf', 'build', file)))
      return `bpf/build/${file}, which is missing (npm run build:bpf: clang, llvm, libbpf-dev)`;
  }
  return null;
}

export type CurlResult = { code: string } | { timeout: true };

/**
 * Deletes the stand-in's pods and NetworkPolicies through its API, as kubectl would, so its watchers
 * (the worker's sync, the agent) see them go: the control-plane harness starts with reference objects
 * of its own, which a lab's pods, with real addresses, replace.
 */
export async function emptyStandIn(standIn: KubeApiStandIn): Promise<void> {
  const core = standIn.kubeConfig().makeApiClient(CoreV1Api);
  const networking = standIn.kubeConfig().makeApiClient(NetworkingV1Api);
  for (const pod of standIn.store.list('pods')) {
    const meta = pod.metadata as { name: string; namespace: string };
    await core.deleteNamespacedPod({ name: meta.name, namespace: meta.namespace });
  }
  for (const policy of standIn.store.list('networkpolicies')) {
    const meta = policy.metadata as { name: string; namespace: string };
    await networking.deleteNamespacedNetworkPolicy({ name: meta.name, namespace: meta.namespace });
  }
}

export class ScenarioLab {
  private constructor(
    readonly lab: Lab,
    private readonly cluster: string,
    private readonly redisUrl: string,
  ) {}

  /** A lab that destroy() removes, built or not (Ctrl-C while building). */
  static prepare(options: {
    repoRoot: string;
    stateFile: string;
    standIn: KubeApiStandIn;
    redisUrl: string;
    cluster: string;
    progress: (line: string) => void;
    /** Prefix of the lab's network namespaces and pin directories; default `npdemo-<pid>-`. */
    prefix?: string;
    /** More settings for the lab's agent (Lab's agentEnv). */
    agentEnv?: Readonly<Record<string, string>>;
  }): ScenarioLab {
    const { objects } = parseStateText(readFileSync(options.stateFile, 'utf8'), options.stateFile);
    const lab = Lab.prepare({
      plan: planLab(objects, { prefix: options.prefix ?? `npdemo-${process.pid}-` }),
      repoRoot: options.repoRoot,
      form: OWN_FORM,
      bpfObject: join(options.repoRoot, 'bpf', 'build', 'netpol.bpf.o'),
      bpfLoader: join(options.repoRoot, 'bpf', 'build', 'netpol-loader'),
      standIn: options.standIn,
      redisUrl: options.redisUrl,
      cluster: options.cluster,
      progress: options.progress,
      ...(options.agentEnv === undefined ? {} : { agentEnv: options.agentEnv }),
    });
    return new ScenarioLab(lab, options.cluster, options.redisUrl);
  }

  pod(key: string): LabPodPlan {
    const pod = this.lab.plan.pods.find((p) => p.key === key);
    if (pod === undefined) throw new Error(`the lab has no pod ${key}`);
    return pod;
  }

  /** `curl -m <s> http://<to>/` from inside `from`'s namespace: the HTTP status, or a timeout. */
  curl(from: string, to: string, timeoutS = 1): Promise<CurlResult> {
    const args = ['netns', 'exec', this.pod(from).netns, 'curl', '-s', '-o', '/dev/null'];
    args.push('-w', '%{http_code}', '-m', String(timeoutS), `http://${this.pod(to).ips[0]!}/`);
    return new Promise((resolve, reject) => {
      execFile('ip', args, (err, stdout, stderr) => {
        if (err === null) return resolve({ code: stdout.trim() });
        if (err.code === 28) return resolve({ timeout: true });
        reject(new Error(`curl failed (${String(err.code)}): ${stderr.trim()}`, { cause: err }));
      });
    });
  }

  /** curls until `wanted` holds (the agent has caught up with the API); throws after `timeoutMs`. */
  async curlUntil(
    from: string,
    to: string,
    wanted: (result: CurlResult) => boolean,
    timeoutMs = 20_000,
  ): Promise<{ result: CurlResult; tries: number }> {
    const deadline = Date.now() + timeoutMs;
    for (let tries = 1; ; tries++) {
      const result = await this.curl(from, to);
      if (wanted(result)) return { result, tries };
      if (Date.now() > deadline)
        throw new Error(
          `curl ${from} -> ${to} still answers ${JSON.stringify(result)} after ${timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The drop events in the cluster's stream once at least one matches `wanted` (all of them). */
  async dropsUntil(wanted: (event: DropEvent) => boolean, timeoutMs = 10_000): Promise<DropEvent[]> {
    const client = new Redis(this.redisUrl, { maxRetriesPerRequest: null });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const entries = await client.xrange(this.streamKey, '-', '+');
        // Single-event and batched entries alike (an agent batches and coalesces drops).
        const events = entries.flatMap(([, fields]) => parseDropEventEntry(fields) ?? []);
        if (events.some(wanted)) return events;
        if (Date.now() > deadline) throw new Error(`no matching drop event in ${this.streamKey}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      client.disconnect();
    }
  }

  get streamKey(): string {
    return dropStreamKey(AGENT_PREFIX, this.cluster);
  }
}

export function describeCurl(result: CurlResult): string {
  return 'timeout' in result ? 'timeout' : `HTTP ${result.code}`;
}

const PROTOCOL_NAMES = new Map([
  [1, 'ICMP'],
  [6, 'TCP'],
  [17, 'UDP'],
  [58, 'ICMPv6'],
  [132, 'SCTP'],
]);

export function describeDrop(event: DropEvent): string {
  const name = (pod: DropEvent['pod']) => (pod === null ? '?' : `${pod.namespace}/${pod.name}`);
  const [from, to] =
    event.direction === 'ingress'
      ? [
          `${name(event.peer)} ${event.source}:${event.sourcePort}`,
          `${name(event.pod)} ${event.destination}:${event.destinationPort}`,
        ]
      : [
          `${name(event.pod)} ${event.source}:${event.sourcePort}`,
          `${name(event.peer)} ${event.destination}:${event.destinationPort}`,
        ];
  const protocol = PROTOCOL_NAMES.get(event.protocol) ?? `protocol ${event.protocol}`;
  const suppressed = event.suppressed > 0 ? ` (+${event.suppressed} suppressed)` : '';
  return `${event.at} node ${event.node}: ${event.direction} ${protocol} ${from} -> ${to}: ${event.reason}${suppressed}`;
}
