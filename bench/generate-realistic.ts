/**
 * A realistic cluster at any size for the scale benchmark (issue 8), deterministic from a seed
 * (sfc32 from generate-state.ts, never Math.random). Namespaces have a long tail of sizes (a few
 * large, many small; a Zipf-like law), plus the system namespaces real clusters carry (kube-system
 * with coredns, monitoring with prometheus, ingress-nginx). Pods come from deployments: replicas
 * share app, tier, version and pod-template-hash labels and their container ports (named).
 * Policies are about one per five pods, in the mix clusters really have: a default deny in every
 * namespace (some also for egress, with a DNS allow), allows by app label between deployments,
 * allows from other namespaces by team/env labels, monitoring scrapes on a named port, and some
 * ipBlocks with excepts. Pod IPs are valid at any size (10.0.0.0/8 in order; host-network pods on
 * node addresses in 192.168.0.0/16).
 */
import type { LabelSelector, NetworkPolicy, NetworkPolicySpec } from '../src/core/k8s/types';
import type {
  ClusterState,
  ContainerPortInfo,
  NamespaceInfo,
  PodInfo,
} from '../src/core/state/cluster-state';
import { clusterState, namespace, pod, policy } from '../test/support/cluster-builders';
import { prng } from './generate-state';

export interface RealisticOptions {
  seed: number;
  pods: number;
}

const TEAMS = ['payments', 'search', 'checkout', 'catalog', 'identity', 'shipping', 'ads', 'data'];
const ENVS = ['dev', 'staging', 'prod'];

interface AppKind {
  base: string;
  tier: 'web' | 'backend' | 'data';
  ports: ContainerPortInfo[];
}

const HTTP: ContainerPortInfo = { name: 'http', containerPort: 8080, protocol: 'TCP' };
const METRICS: ContainerPortInfo = { name: 'metrics', containerPort: 9090, protocol: 'TCP' };
const APP_KINDS: AppKind[] = [
  { base: 'frontend', tier: 'web', ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }, METRICS] },
  { base: 'api', tier: 'backend', ports: [HTTP, METRICS] },
  {
    base: 'grpc',
    tier: 'backend',
    ports: [{ name: 'grpc', containerPort: 50051, protocol: 'TCP' }, METRICS],
  },
  { base: 'worker', tier: 'backend', ports: [METRICS] },
  { base: 'cache', tier: 'data', ports: [{ name: 'redis', containerPort: 6379, protocol: 'TCP' }] },
  { base: 'db', tier: 'data', ports: [{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }, METRICS] },
];
/** Replica counts, most deployments small. */
const REPLICAS = [1, 1, 2, 2, 2, 3, 3, 3, 4, 5, 6, 8, 10, 12, 20, 30];

interface Deployment {
  app: string;
  kind: AppKind;
}

/** A ClusterState of `pods` pods (exactly), as described in the header. */
export function generateRealistic(options: RealisticOptions): ClusterState {
  const rand = prng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const chance = (p: number): boolean => rand() < p;
  const hex = (n: number): string =>
    Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');

  const namespaces: NamespaceInfo[] = [];
  const pods: PodInfo[] = [];
  const policies: NetworkPolicy[] = [];
  let podCount = 0;
  const address = (): string | undefined => {
    // 10.1.0.1 onwards, skipping .0 and .255 in each /24: valid at any size up to 10.255.x.x.
    const k = podCount++;
    const offset = 65536 + Math.floor(k / 254) * 256 + (k % 254) + 1;
    return `10.${offset >>> 16}.${(offset >>> 8) & 0xff}.${offset & 0xff}`;
  };
  const nodes = Math.max(3, Math.ceil(options.pods / 30));
  const nodeAddress = (): string => {
    const n = Math.floor(rand() * nodes);
    return `192.168.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  };
  const addPods = (ns: string, deployment: Deployment, replicas: number): void => {
    const hash = hex(10);
    const version = pick(['v1', 'v1', 'v2']);
    for (let r = 0; r < replicas; r++) {
      const hostNetwork = chance(0.005);
      const pending = !hostNetwork && chance(0.005);
      const ip = hostNetwork ? nodeAddress() : pending ? undefined : address();
      pods.push(
        pod(`${ns}/${deployment.app}-${hash}-${hex(5)}${r}`, {
          labels: {
            app: deployment.app,
            tier: deployment.kind.tier,
            version,
            'pod-template-hash': hash,
          },
          hostNetwork,
          ports: deployment.kind.ports,
          ...(ip === undefined ? {} : { ip }),
        }),
      );
    }
  };
  const addPolicy = (ns: string, name: string, spec: NetworkPolicySpec): void => {
    policies.push(policy(`${ns}/${name}`, spec));
  };

  // System namespaces: small, fixed, and named by many policies.
  const system = Math.max(2, Math.round(options.pods / 2000));
  namespaces.push(namespace('kube-system', { team: 'platform', env: 'prod' }));
  addPods('kube-system', { app: 'coredns', kind: { base: 'coredns', tier: 'backend', ports: DNS } }, system);
  namespaces.push(namespace('monitoring', { team: 'platform', env: 'prod' }));
  addPods('monitoring', { app: 'prometheus', kind: APP_KINDS[3]! }, Math.max(1, system >> 1));
  namespaces.push(namespace('ingress-nginx', { team: 'platform', env: 'prod' }));
  addPods('ingress-nginx', { app: 'ingress-nginx', kind: APP_KINDS[0]! }, system);
  addPolicy('kube-system', 'allow-dns', {
    podSelector: { matchLabels: { app: 'coredns' } },
    ingress: [
      {
        ports: [
          { protocol: 'UDP', port: 'dns' },
          { protocol: 'TCP', port: 'dns-tcp' },
        ],
      },
    ],
  });

  // Application namespaces: Zipf-like sizes (exponent 0.8) over what is left.
  const left = options.pods - pods.length;
  const count = Math.max(1, Math.round(left / 30));
  const weights = Array.from({ length: count }, (_, i) => 1 / (i + 1) ** 0.8);
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((left * w) / total)));
  for (let i = 0, extra = left - sizes.reduce((a, b) => a + b, 0); extra !== 0; i = (i + 1) % count) {
    if (extra < 0 && sizes[i]! <= 1) continue;
    sizes[i]! += Math.sign(extra);
    extra -= Math.sign(extra);
  }

  sizes.forEach((size, i) => {
    const team = pick(TEAMS);
    const env = pick(ENVS);
    const ns = `${team}-${env}-${i.toString(36)}`;
    namespaces.push(namespace(ns, { team, env }));
    const deployments: Deployment[] = [];
    for (let placed = 0, d = 0; placed < size; d++) {
      const kind = pick(APP_KINDS);
      const deployment = { app: `${kind.base}-${d}`, kind };
      const replicas = Math.min(size - placed, pick(REPLICAS));
      addPods(ns, deployment, replicas);
      deployments.push(deployment);
      placed += replicas;
    }
    generatePolicies(ns, Math.max(1, Math.round(size / 5)), deployments);
  });

  function generatePolicies(ns: string, budget: number, deployments: Deployment[]): void {
    const denyEgress = chance(0.3);
    addPolicy(ns, 'default-deny', {
      podSelector: {},
      policyTypes: denyEgress ? ['Ingress', 'Egress'] : ['Ingress'],
    });
    let made = 1;
    const add = (name: string, spec: NetworkPolicySpec): void => {
      if (made++ < budget) addPolicy(ns, name, spec);
    };
    if (denyEgress) add('allow-dns-egress', dnsEgress());
    add('allow-monitoring', {
      podSelector: {},
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
              podSelector: { matchLabels: { app: 'prometheus' } },
            },
          ],
          ports: [{ port: 'metrics' }],
        },
      ],
    });
    const app = (d: Deployment): LabelSelector => ({ matchLabels: { app: d.app } });
    for (let k = 0; made < budget; k++) {
      const target = deployments[k % deployments.length]!;
      const caller = pick(deployments);
      const port = target.kind.ports[0]!;
      const shape = rand();
      const name = `allow-${target.app}-${k}`;
      if (target.kind.tier === 'web' && shape < 0.3) {
        // Load balancer traffic: an ipBlock with an except, or the ingress controller.
        add(name, {
          podSelector: app(target),
          ingress: [
            chance(0.5)
              ? { from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '192.168.0.0/16'] } }] }
              : {
                  from: [
                    {
                      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
                    },
                  ],
                  ports: [{ port: port.name! }],
                },
          ],
        });
      } else if (shape < 0.6) {
        add(name, {
          podSelector: app(target),
          ingress: [
            {
              from: [{ podSelector: app(caller) }],
              ports: [chance(0.5) ? { port: port.name! } : { port: port.containerPort }],
            },
          ],
        });
      } else if (shape < 0.8) {
        add(name, {
          podSelector: app(target),
          ingress: [
            {
              from: [
                chance(0.5)
                  ? { namespaceSelector: { matchLabels: { team: pick(TEAMS) } } }
                  : {
                      namespaceSelector: { matchLabels: { team: pick(TEAMS), env: pick(ENVS) } },
                      podSelector: { matchLabels: { tier: 'web' } },
                    },
              ],
              ports: [{ port: port.name! }],
            },
          ],
        });
      } else if (shape < 0.9) {
        add(name, {
          podSelector: { matchLabels: { tier: target.kind.tier } },
          ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'web' } } }] }],
        });
      } else {
        add(`egress-${target.app}-${k}`, {
          podSelector: app(target),
          policyTypes: ['Egress'],
          egress: [
            { to: [{ podSelector: app(caller) }], ports: [{ port: caller.kind.ports[0]!.name! }] },
            {
              to: [{ ipBlock: partnerBlock(16 + Math.floor(rand() * 16)) }],
              ports: [{ port: 443 }],
            },
          ],
        });
      }
    }
  }

  return clusterState({ namespaces, pods, policies });
}

const DNS: ContainerPortInfo[] = [
  { name: 'dns', containerPort: 53, protocol: 'UDP' },
  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
];

function dnsEgress(): NetworkPolicySpec {
  return {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { app: 'coredns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ],
  };
}

/** A partner's /16 in 172.16.0.0/12 but for its first /24 (its management subnet). */
function partnerBlock(second: number): { cidr: string; except: string[] } {
  return { cidr: `172.${second}.0.0/16`, except: [`172.${second}.0.0/24`] };
}
