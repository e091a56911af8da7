/**
 * A deterministic, realistic cluster for the policy benchmark: namespaces per team and
 * environment, pods of a few apps each with the usual labels and named ports, and NetworkPolicies
 * of the shapes clusters really carry (default-deny, app-to-app, namespace-wide, monitoring
 * scrapes on a named port, DNS egress, internet egress by ipBlock with excepts, port ranges).
 * The same seed always gives the same state: a seeded PRNG (sfc32), never Math.random.
 */
import type { LabelSelector, NetworkPolicy, NetworkPolicySpec } from '../src/core/k8s/types';
import type { ClusterState, ContainerPortInfo, PodInfo } from '../src/core/state/cluster-state';
import { clusterState, namespace, pod, policy } from '../test/support/cluster-builders';

export interface GenerateOptions {
  seed: number;
  namespaces: number;
  pods: number;
  policies: number;
}

/** sfc32: small, fast, good enough for test data, and reproducible across platforms. */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

const TEAMS = [
  'payments',
  'search',
  'checkout',
  'catalog',
  'identity',
  'shipping',
  'ads',
  'data',
  'mobile',
  'ops',
];
const ENVS = ['dev', 'qa', 'staging', 'perf', 'prod'];

interface AppKind {
  app: string;
  tier: 'web' | 'backend' | 'data';
  ports: ContainerPortInfo[];
}

const APPS: AppKind[] = [
  { app: 'frontend', tier: 'web', ports: [{ name: 'http', containerPort: 3000, protocol: 'TCP' }] },
  { app: 'gateway', tier: 'web', ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }] },
  {
    app: 'api',
    tier: 'backend',
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ],
  },
  { app: 'grpc-svc', tier: 'backend', ports: [{ name: 'grpc', containerPort: 50051, protocol: 'TCP' }] },
  { app: 'worker', tier: 'backend', ports: [{ name: 'metrics', containerPort: 9100, protocol: 'TCP' }] },
  { app: 'postgres', tier: 'data', ports: [{ name: 'db', containerPort: 5432, protocol: 'TCP' }] },
  { app: 'redis', tier: 'data', ports: [{ name: 'db', containerPort: 6379, protocol: 'TCP' }] },
  { app: 'coredns', tier: 'backend', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] },
];

export function generateState(options: GenerateOptions): ClusterState {
  const rand = prng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const chance = (p: number): boolean => rand() < p;

  const nsNames: string[] = [];
  const namespaces = Array.from({ length: options.namespaces }, (_, i) => {
    const team = TEAMS[i % TEAMS.length]!;
    const env = ENVS[Math.floor(i / TEAMS.length) % ENVS.length]!;
    const name = `${team}-${env}${i >= TEAMS.length * ENVS.length ? `-${i}` : ''}`;
    nsNames.push(name);
    return namespace(name, { team, env, ...(chance(0.3) ? { 'istio-injection': 'enabled' } : {}) });
  });

  const pods: PodInfo[] = [];
  const appsByNs = new Map<string, AppKind[]>();
  for (let i = 0; i < options.pods; i++) {
    const nsIndex = i % options.namespaces;
    const ns = nsNames[nsIndex]!;
    const apps = appsByNs.get(ns) ?? [];
    if (apps.length === 0) {
      const count = 3 + Math.floor(rand() * 3);
      for (let k = 0; k < count; k++) apps.push(pick(APPS));
      appsByNs.set(ns, apps);
    }
    const kind = pick(apps);
    const hostNetwork = chance(0.01);
    const pending = !hostNetwork && chance(0.01);
    const n = Math.floor(i / options.namespaces);
    const ip = hostNetwork ? nodeAddress(i) : podAddress(nsIndex, n, options.namespaces);
    pods.push(
      pod(`${ns}/${kind.app}-${i.toString(36).padStart(4, '0')}`, {
        labels: {
          app: kind.app,
          tier: kind.tier,
          version: pick(['v1', 'v1', 'v2']),
          'pod-template-hash': `h${i % 7}`,
        },
        hostNetwork,
        ports: kind.ports,
        ...(pending ? {} : { ip }),
      }),
    );
  }

  const policies: NetworkPolicy[] = [];
  const used = new Set<string>();
  const add = (ns: string, base: string, spec: NetworkPolicySpec): void => {
    let name = base;
    for (let k = 2; used.has(`${ns}/${name}`); k++) name = `${base}-${k}`;
    used.add(`${ns}/${name}`);
    policies.push(policy(`${ns}/${name}`, spec));
  };
  const appSel = (ns: string): LabelSelector => ({
    matchLabels: { app: pick(appsByNs.get(ns) ?? APPS).app },
  });
  const shapes: ((ns: string) => void)[] = [
    (ns) => add(ns, 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }),
    (ns) => add(ns, 'default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    (ns) => add(ns, 'allow-same-namespace', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }),
    (ns) =>
      add(ns, 'allow-app-to-app', {
        podSelector: appSel(ns),
        ingress: [
          { from: [{ podSelector: appSel(ns) }], ports: [{ port: pick([80, 80, 8080, 5432, 6379]) }] },
        ],
      }),
    (ns) =>
      add(ns, 'allow-named-http', {
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'backend'] }] },
        ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'web' } } }], ports: [{ port: 'http' }] }],
      }),
    (ns) =>
      add(ns, 'allow-from-team', {
        podSelector: appSel(ns),
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: pick(TEAMS) } } }] }],
      }),
    (ns) =>
      add(ns, 'allow-monitoring-scrape', {
        podSelector: {},
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: 'ops' } },
                podSelector: { matchLabels: { app: 'worker' } },
              },
            ],
            ports: [{ port: 'metrics' }],
          },
        ],
      }),
    (ns) =>
      add(ns, 'allow-dns-egress', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': pick(nsNames) } },
                podSelector: { matchLabels: { app: 'coredns' } },
              },
            ],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      }),
    (ns) =>
      add(ns, 'allow-internet-egress', {
        podSelector: { matchLabels: { tier: 'web' } },
        egress: [
          {
            to: [
              { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } },
            ],
            ports: [{ port: 443 }, { port: 80 }],
          },
        ],
      }),
    (ns) =>
      add(ns, 'allow-lb-ingress', {
        podSelector: { matchLabels: { tier: 'web' } },
        ingress: [
          {
            from: [
              // The except is the block's first /24 (it must lie inside the cidr to be valid).
              lbBlock(1 + Math.floor(rand() * 50)),
            ],
          },
        ],
      }),
    (ns) =>
      add(ns, 'allow-port-range', {
        podSelector: appSel(ns),
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }],
                },
              },
            ],
            ports: [{ port: 8000, endPort: 8100 }],
          },
        ],
      }),
    (ns) =>
      add(ns, 'allow-egress-to-db', {
        podSelector: { matchLabels: { tier: 'backend' } },
        policyTypes: ['Egress'],
        egress: [
          { to: [{ podSelector: { matchLabels: { tier: 'data' } } }], ports: [{ port: 'db' }] },
          {
            to: [{ namespaceSelector: { matchLabels: { team: pick(TEAMS) } } }],
            ports: [{ port: 'grpc' }, { port: 'http' }],
          },
        ],
      }),
  ];
  // How often each shape above occurs: allow rules far outnumber denies in real clusters.
  const weights = [0, 1, 3, 6, 3, 4, 2, 2, 1, 2, 1, 2];
  const weighted = shapes.flatMap((shape, i) => new Array<typeof shape>(weights[i] ?? 1).fill(shape));
  // Every namespace gets a default deny first, then the rest of the budget goes to mixed shapes.
  for (let i = 0; i < options.policies; i++) {
    const ns = nsNames[i % nsNames.length]!;
    const shape = i < nsNames.length ? shapes[0]! : pick(weighted);
    shape(ns);
  }
  return clusterState({ namespaces, pods, policies });
}

/**
 * 10.0.0.0/8 split into one block per namespace: a /16 each (10.<ns+1>.x.y, as small clusters
 * always had) while they fit, smaller blocks past 254 namespaces; within a block, 250 pods a /24.
 */
function podAddress(nsIndex: number, n: number, namespaces: number): string {
  const blockBits = Math.min(16, 24 - Math.ceil(Math.log2(namespaces + 1)));
  const offset = (nsIndex + 1) * 2 ** blockBits + Math.floor(n / 250) * 256 + (n % 250) + 1;
  if (Math.floor(n / 250) * 256 + 251 > 2 ** blockBits) throw new RangeError('too many pods per namespace');
  return `10.${offset >>> 16}.${(offset >>> 8) & 0xff}.${offset & 0xff}`;
}

/** Node addresses: 192.168.0.0/16 as before, then 172.16.0.0/12 once that is used up. */
function nodeAddress(i: number): string {
  if (i < 256 * 250) return `192.168.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  const offset = i - 256 * 250 + 1;
  return `172.${16 + (offset >>> 16)}.${(offset >>> 8) & 0xff}.${offset & 0xff}`;
}

/** A load balancer's /16 in 10.0.0.0/8 but for its first /24. */
function lbBlock(second: number): { ipBlock: { cidr: string; except: string[] } } {
  return { ipBlock: { cidr: `10.${second}.0.0/16`, except: [`10.${second}.0.0/24`] } };
}
