/**
 * `npm run build:bench && node --max-old-space-size=4096 dist/bench/live-index-realistic.bench.js [pods...]`:
 * LiveIndex on a realistic cluster (issue 8 targets at 150,000 pods). Namespaces of heavy-tailed
 * size, deployments whose replicas share their labels, about one policy per five pods (default
 * denies, allows by app label, namespace selectors, DNS egress, ipBlocks, named ports). For each
 * event kind: the time to apply the event AND recompile every side it reports (what the node
 * agent does), p50/p99/max, and the distribution of the number of sides reported. Build time and
 * RSS. One size per child process so RSS is that size's alone. Deterministic input.
 */
import { spawnSync } from 'node:child_process';
import { type IndexEvent, LiveIndex } from '../src/core/evaluator';
import type { LabelSelector, NetworkPolicy, NetworkPolicySpec } from '../src/core/k8s/types';
import type { ClusterState, ContainerPortInfo, PodInfo } from '../src/core/state/cluster-state';
import { clusterState, namespace, pod, policy } from '../test/support/cluster-builders';
import { generateRealistic as generateOfficial } from './generate-realistic';
import { prng } from './generate-state';

const EVENTS = 300;
const TEAMS = ['payments', 'search', 'checkout', 'catalog', 'identity', 'shipping', 'ads', 'data', 'ops'];
const ENVS = ['dev', 'staging', 'prod'];
const KINDS: { app: string; tier: string; ports: ContainerPortInfo[] }[] = [
  { app: 'web', tier: 'web', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] },
  {
    app: 'api',
    tier: 'backend',
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ],
  },
  { app: 'worker', tier: 'backend', ports: [{ name: 'metrics', containerPort: 9090, protocol: 'TCP' }] },
  { app: 'grpc', tier: 'backend', ports: [{ name: 'grpc', containerPort: 50051, protocol: 'TCP' }] },
  { app: 'db', tier: 'data', ports: [{ name: 'db', containerPort: 5432, protocol: 'TCP' }] },
  { app: 'cache', tier: 'data', ports: [{ name: 'db', containerPort: 6379, protocol: 'TCP' }] },
];

interface Deployment {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ports: ContainerPortInfo[];
}

export interface RealisticCluster {
  state: ClusterState;
  deployments: Deployment[];
}

/** A realistic cluster of about `pods` pods. */
export function generateRealistic(pods: number, seed = 7): RealisticCluster {
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const namespaces = [namespace('kube-system', { tier: 'system' }), namespace('monitoring', { team: 'ops' })];
  const deployments: Deployment[] = [];
  const podList: PodInfo[] = [];
  let ipCounter = 0;
  const nextIp = (): string => {
    const n = ++ipCounter;
    return `10.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
  };
  const addDeployment = (
    ns: string,
    name: string,
    labels: Record<string, string>,
    ports: ContainerPortInfo[],
    replicas: number,
  ) => {
    const d = { namespace: ns, name, labels, ports };
    deployments.push(d);
    for (let r = 0; r < replicas; r++) {
      podList.push(
        pod(`${ns}/${name}-${r}`, { labels: { ...labels, 'pod-template-hash': 'h1' }, ip: nextIp(), ports }),
      );
    }
  };
  addDeployment(
    'kube-system',
    'coredns',
    { 'k8s-app': 'kube-dns' },
    [{ name: 'dns', containerPort: 53, protocol: 'UDP' }],
    4,
  );
  addDeployment('monitoring', 'prometheus', { app: 'prometheus' }, [], 2);
  const policies: NetworkPolicy[] = [];
  const add = (ns: string, name: string, spec: NetworkPolicySpec): void => {
    policies.push(policy(`${ns}/${name}`, spec));
  };
  let nsIndex = 0;
  while (podList.length < pods) {
    // Heavy-tailed namespace size: most have 10-100 pods, a few thousands.
    const size = Math.min(pods - podList.length, Math.max(5, Math.floor(20 / Math.pow(rand(), 1.2))), 5000);
    const team = TEAMS[nsIndex % TEAMS.length]!;
    const env = ENVS[Math.floor(nsIndex / TEAMS.length) % ENVS.length]!;
    const ns = `${team}-${env}-${nsIndex}`;
    nsIndex++;
    namespaces.push(namespace(ns, { team, env }));
    const nsDeployments: Deployment[] = [];
    let left = size;
    for (let k = 0; left > 0; k++) {
      const kind = pick(KINDS);
      const replicas = Math.min(left, 1 + Math.floor(rand() * rand() * 40));
      left -= replicas;
      addDeployment(
        ns,
        `${kind.app}-${k}`,
        { app: `${kind.app}-${k}`, tier: kind.tier, version: pick(['v1', 'v2']) },
        kind.ports,
        replicas,
      );
      nsDeployments.push(deployments[deployments.length - 1]!);
    }
    // About one policy per five pods.
    const budget = Math.max(2, Math.round(size / 5));
    add(ns, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    add(ns, 'allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [{ protocol: 'UDP', port: 53 }],
        },
      ],
    });
    for (let i = 2; i < budget; i++) {
      const d = pick(nsDeployments);
      const other = pick(nsDeployments);
      const sel: LabelSelector = { matchLabels: { app: d.labels.app! } };
      const r = rand();
      if (r < 0.4) {
        add(ns, `allow-${i}`, {
          podSelector: sel,
          ingress: [
            {
              from: [{ podSelector: { matchLabels: { app: other.labels.app! } } }],
              ports: [{ port: pick([8080, 'http', 5432]) }],
            },
          ],
        });
      } else if (r < 0.55) {
        add(ns, `allow-team-${i}`, {
          podSelector: sel,
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: pick(TEAMS) } } }] }],
        });
      } else if (r < 0.65) {
        add(ns, `allow-scrape-${i}`, {
          podSelector: sel,
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: { team: 'ops' } },
                  podSelector: { matchLabels: { app: 'prometheus' } },
                },
              ],
              ports: [{ port: 'metrics' }],
            },
          ],
        });
      } else if (r < 0.75) {
        add(ns, `egress-${i}`, {
          podSelector: sel,
          policyTypes: ['Egress'],
          egress: [
            {
              to: [{ podSelector: { matchLabels: { app: other.labels.app! } } }],
              ports: [{ port: pick([5432, 6379, 8080]) }],
            },
          ],
        });
      } else if (r < 0.82) {
        add(ns, `internet-${i}`, {
          podSelector: sel,
          policyTypes: ['Egress'],
          egress: [
            { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ port: 443 }] },
          ],
        });
      } else if (r < 0.88) {
        add(ns, `lb-${i}`, {
          podSelector: sel,
          ingress: [
            {
              from: [{ ipBlock: { cidr: `172.${16 + Math.floor(rand() * 16)}.0.0/16` } }],
              ports: [{ port: 'http' }],
            },
          ],
        });
      } else if (r < 0.94) {
        add(ns, `tier-${i}`, {
          podSelector: { matchLabels: { tier: 'data' } },
          ingress: [
            {
              from: [
                {
                  podSelector: {
                    matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'backend'] }],
                  },
                },
              ],
            },
          ],
        });
      } else if (r < 0.97) {
        add(ns, `env-${i}`, {
          podSelector: sel,
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: { env } },
                  podSelector: { matchLabels: { tier: 'web' } },
                },
              ],
            },
          ],
        });
      } else {
        add(ns, `egress-named-${i}`, {
          podSelector: sel,
          policyTypes: ['Egress'],
          egress: [{ to: [{ podSelector: { matchLabels: { tier: 'data' } } }], ports: [{ port: 'db' }] }],
        });
      }
    }
  }
  return { state: clusterState({ namespaces, pods: podList, policies }), deployments };
}

interface KindResult {
  p50: number;
  p99: number;
  max: number;
  /** Sides reported: p50, p99, max. */
  sides: [number, number, number];
}

interface ChildResult {
  pods: number;
  namespaces: number;
  policies: number;
  buildMs: number;
  stateRssMiB: number;
  builtRssMiB: number;
  heapUsedMiB: number;
  peakRssMiB: number;
  events: Record<string, KindResult>;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/** bench/generate-realistic.ts's cluster, with its deployments read back from pods' labels. */
function official(pods: number): RealisticCluster {
  const state = generateOfficial({ seed: 42, pods });
  const byApp = new Map<string, Deployment>();
  for (const p of state.pods) {
    const key = `${p.namespace}/${p.labels.app ?? p.name}`;
    if (byApp.has(key)) continue;
    const labels = Object.fromEntries(Object.entries(p.labels).filter(([k]) => k !== 'pod-template-hash'));
    byApp.set(key, { namespace: p.namespace, name: p.labels.app ?? p.name, labels, ports: p.ports });
  }
  return { state, deployments: [...byApp.values()].filter((d) => d.labels.app !== undefined) };
}

function child(pods: number, mix: string): ChildResult {
  const { state, deployments } = mix === 'harsh' ? generateRealistic(pods) : official(pods);
  global.gc?.();
  const stateRssMiB = process.memoryUsage().rss / 2 ** 20;
  let t = process.hrtime.bigint();
  const live = LiveIndex.build(state);
  const buildMs = Number(process.hrtime.bigint() - t) / 1e6;
  global.gc?.();
  const builtRssMiB = process.memoryUsage().rss / 2 ** 20;
  const heapUsedMiB = process.memoryUsage().heapUsed / 2 ** 20;
  const rand = prng(11);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const podList = [...state.pods];
  const added: PodInfo[] = [];
  const addedPolicies: NetworkPolicy[] = [];
  let ip = 0;
  const kinds: Record<string, (k: number) => IndexEvent> = {
    'pod add': (k) => {
      const d = pick(deployments);
      const p = pod(`${d.namespace}/${d.name}-new-${k}`, {
        labels: { ...d.labels, 'pod-template-hash': 'h2' },
        ip: `11.0.${(++ip >> 8) & 255}.${ip & 255}`,
        ports: d.ports,
      });
      added.push(p);
      return { kind: 'pod-upsert', pod: p };
    },
    'pod delete': () => {
      const p = added.pop()!;
      return { kind: 'pod-delete', namespace: p.namespace, name: p.name };
    },
    'pod relabel': () => {
      const p = pick(podList);
      return {
        kind: 'pod-upsert',
        pod: { ...p, labels: { ...p.labels, version: pick(['v1', 'v2', 'v3']) } },
      };
    },
    'pod IP change': () => {
      const p = pick(podList);
      return { kind: 'pod-upsert', pod: { ...p, ip: `11.1.${(++ip >> 8) & 255}.${ip & 255}` } };
    },
    'namespace relabel': () => {
      const ns = pick(state.namespaces);
      return {
        kind: 'namespace-upsert',
        namespace: { ...ns, labels: { ...ns.labels, owner: pick(['a', 'b', 'c']) } },
      };
    },
    'namespace team change': () => {
      const ns = pick(state.namespaces);
      return { kind: 'namespace-upsert', namespace: { ...ns, labels: { ...ns.labels, team: pick(TEAMS) } } };
    },
    'policy add': (k) => {
      const d = pick(deployments);
      const other = pick(deployments.filter((x) => x.namespace === d.namespace));
      const p = policy(`${d.namespace}/bench-${k}`, {
        podSelector: { matchLabels: { app: d.labels.app! } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { app: other.labels.app! } } }], ports: [{ port: 'http' }] },
        ],
      });
      addedPolicies.push(p);
      return { kind: 'policy-upsert', policy: p };
    },
    'policy change': () => {
      const p = pick(state.policies);
      const spec = {
        ...p.spec,
        ingress: [...(p.spec.ingress ?? []), { ports: [{ port: 1000 + Math.floor(rand() * 1000) }] }],
      };
      return { kind: 'policy-upsert', policy: { ...p, spec } };
    },
    'policy delete': () => {
      const p = addedPolicies.pop()!;
      return { kind: 'policy-delete', namespace: p.metadata.namespace, name: p.metadata.name };
    },
  };
  const events: Record<string, KindResult> = {};
  for (const [name, make] of Object.entries(kinds)) {
    const samples: number[] = [];
    const sizes: number[] = [];
    for (let k = 0; k < EVENTS; k++) {
      const event = make(k);
      t = process.hrtime.bigint();
      const changed = live.apply(event);
      for (const c of changed) {
        if (live.has(c.pod)) live.compile(c.pod, c.direction);
      }
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
      sizes.push(changed.length);
    }
    samples.sort((a, b) => a - b);
    sizes.sort((a, b) => a - b);
    events[name] = {
      p50: quantile(samples, 0.5),
      p99: quantile(samples, 0.99),
      max: samples[samples.length - 1]!,
      sides: [quantile(sizes, 0.5), quantile(sizes, 0.99), sizes[sizes.length - 1]!],
    };
  }
  return {
    pods: state.pods.length,
    namespaces: state.namespaces.length,
    policies: state.policies.length,
    buildMs,
    stateRssMiB,
    builtRssMiB,
    heapUsedMiB,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    events,
  };
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    process.stdout.write(JSON.stringify(child(Number(args[1]), args[2]!)));
    return;
  }
  // --mix harsh: this file's own generator, with broader cross-namespace selectors.
  const mix = args[0] === '--mix' ? args[1]! : 'official';
  const rest = args[0] === '--mix' ? args.slice(2) : args;
  const sizes = rest.length > 0 ? rest.map(Number) : [30_000, 150_000];
  console.log(`LiveIndex on a realistic cluster (${mix} mix); node ${process.version}`);
  for (const pods of sizes) {
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=4096', __filename, '--child', String(pods), mix],
      {
        encoding: 'utf8',
        timeout: 1_200_000,
      },
    );
    if (r.status !== 0) {
      console.log(`${pods}: failed (${r.signal ?? `exit ${r.status}`}): ${r.stderr.slice(-500)}`);
      continue;
    }
    const c = JSON.parse(r.stdout) as ChildResult;
    console.log(
      `${c.pods} pods, ${c.namespaces} namespaces, ${c.policies} policies: LiveIndex.build ${c.buildMs.toFixed(0)} ms; ` +
        `RSS state ${c.stateRssMiB.toFixed(0)} MiB, with index ${c.builtRssMiB.toFixed(0)} MiB (heap ${c.heapUsedMiB.toFixed(0)} MiB), peak ${c.peakRssMiB.toFixed(0)} MiB`,
    );
    for (const [kind, e] of Object.entries(c.events)) {
      console.log(
        `    ${kind.padEnd(22)} p50 ${e.p50.toFixed(2).padStart(8)} ms  p99 ${e.p99.toFixed(2).padStart(8)} ms  max ${e.max.toFixed(1).padStart(8)} ms  ` +
          `sides p50/p99/max ${e.sides.join('/')}`,
      );
    }
  }
}

if (require.main === module) main();
