/**
 * `npm run build:bench && node dist/bench/scale-agent.js [pods]`: what pod churn elsewhere costs
 * one node's agent at cluster scale (issue 9). The realistic cluster (bench/generate-realistic.ts,
 * seed 42) is fed to an Enforcer over a dataplane that only counts writes; about 110 pods are local
 * (every (pods/110)th). After the first sync it prints the classes (identities) and rule entries
 * written, then adds EVENTS pods elsewhere (copies of existing pods, new names and addresses inside
 * the pod network), flushing after each, and prints the ipcache writes and rule swaps they cost.
 */
import pino from 'pino';
import type { PolicyRule } from '../src/adapters/bpf/bpf-dataplane';
import { Enforcer, type DataplaneMaps, type PodFacts } from '../src/agent/enforcer';
import type { PodInfo } from '../src/core/state/cluster-state';
import { generateRealistic } from './generate-realistic';

const EVENTS = 300;
const LOCAL_PODS = 110;

interface Writes {
  ipcache: number;
  ipcacheDeletes: number;
  swaps: number;
  ruleEntries: number;
}

const none = (): Writes => ({ ipcache: 0, ipcacheDeletes: 0, swaps: 0, ruleEntries: 0 });

async function main(): Promise<void> {
  const pods = Number(process.argv[2] ?? 150_000);
  const state = generateRealistic({ seed: 42, pods });
  let writes = none();
  const veths = new Map<string, number>();
  const dataplane: DataplaneMaps = {
    attach: async () => 0,
    setEndpoint: async () => {},
    removeEndpoint: async () => {},
    setIdentities: async (entries) => void (writes.ipcache += entries.length),
    removeIdentities: async (cidrs) => void (writes.ipcacheDeletes += cidrs.length),
    swapRules: async (_id: number, _d: 0 | 1, rules: readonly PolicyRule[]) => {
      writes.swaps++;
      writes.ruleEntries += rules.length;
      return rules.length;
    },
    clearRules: async () => {},
    readIdentities: async () => [],
    endpointIfindexes: async () => [],
  };
  const enforcer = new Enforcer({
    dataplane,
    findHostVeth: async (ip) => {
      if (!veths.has(ip)) veths.set(ip, 10 + veths.size);
      return { ifname: `hv${veths.get(ip)}`, ifindex: veths.get(ip)! };
    },
    nodeName: 'node-1',
    nodeNetns: '-',
    nodeAddresses: ['10.255.255.1'],
    log: pino({ level: 'silent' }),
  });
  const every = Math.max(1, Math.round(pods / LOCAL_PODS));
  const facts = (p: PodInfo, local: boolean): PodFacts => ({
    namespace: p.namespace,
    name: p.name,
    labels: p.labels,
    nodeName: local ? 'node-1' : 'node-2',
    hostNetwork: p.hostNetwork,
    ips: p.ip === undefined ? [] : [p.ip],
  });
  const start = process.hrtime.bigint();
  await enforcer.adopt();
  for (const ns of state.namespaces) enforcer.apply({ kind: 'namespace-upsert', namespace: ns });
  for (const policy of state.policies) enforcer.apply({ kind: 'policy-upsert', policy });
  state.pods.forEach((p, i) => enforcer.apply({ kind: 'pod-upsert', pod: p }, facts(p, i % every === 0)));
  await enforcer.flush();
  const syncMs = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(
    `${pods} pods, ${state.policies.length} policies; ${enforcer.endpointCount} local endpoints; ` +
      `${enforcer.classCount} classes (identities of pods); first sync ${syncMs.toFixed(0)} ms: ` +
      `${writes.ipcache} ipcache writes, ${writes.swaps} rule swaps holding ${writes.ruleEntries} rule entries; ` +
      `heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
  );
  const candidates = state.pods.filter((p) => !p.hostNetwork && p.ip !== undefined);
  const perEvent: Writes[] = [];
  for (let k = 0; k < EVENTS; k++) {
    writes = none();
    const like = candidates[(k * 7919) % candidates.length]!;
    // Inside 10.0.0.0/8 like every realistic pod, past the generator's addresses.
    const pod = { ...like, name: `${like.name}-new-${k}`, ip: `10.250.${k >> 8}.${k & 255}` };
    enforcer.apply({ kind: 'pod-upsert', pod }, facts(pod, false));
    await enforcer.flush();
    perEvent.push(writes);
  }
  const sum = (f: (w: Writes) => number) => perEvent.reduce((a, w) => a + f(w), 0);
  console.log(
    `${EVENTS} pods added elsewhere: ${sum((w) => w.ipcache)} ipcache writes, ${sum((w) => w.swaps)} rule swaps ` +
      `(${perEvent.filter((w) => w.swaps > 0).length} events with any; at most ` +
      `${Math.max(...perEvent.map((w) => w.swaps))} in one), ${sum((w) => w.ipcacheDeletes)} ipcache deletes`,
  );
}

void main();
