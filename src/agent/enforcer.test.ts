/**
 * The Enforcer over an in-memory dataplane that records every write in order: what it writes for
 * the engine's answer, and the order that keeps a change from opening a window.
 */
import fc from 'fast-check';
import pino from 'pino';
import { IDENTITY } from '../adapters/bpf/abi';
import type { EndpointState, PolicyRule } from '../adapters/bpf/bpf-dataplane';
import { buildPolicyIndex, compiledSideAllows, compilePodEgress, compilePodIngress } from '../core/evaluator';
import { AUDIT_ANNOTATION, isAuditPolicy } from '../core/k8s/audit-mode';
import type { NetworkPolicy, Protocol } from '../core/k8s/types';
import type { ClusterState, PodInfo } from '../core/state/cluster-state';
import { namespace, pod as podOf, policy as policyOf } from '../../test/support/cluster-builders';
import { specArbitrary } from '../../test/support/policy-arbitraries';
import { Enforcer, type DataplaneMaps, type PodFacts } from './enforcer';

class MemoryDataplane implements DataplaneMaps {
  readonly log: string[] = [];
  readonly ipcache = new Map<string, number>();
  readonly endpoints = new Map<number, EndpointState>();
  readonly rules = new Map<string, readonly PolicyRule[]>();
  async attach(_netns: string, ifname: string) {
    this.log.push(`attach ${ifname}`);
    return Number(ifname.slice(2));
  }
  async setEndpoint(ifindex: number, state: EndpointState) {
    const audit = [state.ingressAudit ? 'in' : '', state.egressAudit ? 'out' : ''].filter(Boolean).join(',');
    this.log.push(
      `endpoint ${ifindex} ready=${state.ready} in=${state.ingressIsolated}${audit === '' ? '' : ` audit=${audit}`}`,
    );
    this.endpoints.set(ifindex, state);
  }
  async removeEndpoint(ifindex: number) {
    this.log.push(`remove-endpoint ${ifindex}`);
    this.endpoints.delete(ifindex);
  }
  async setIdentities(entries: readonly { cidr: string; identity: number }[]) {
    for (const { cidr, identity } of entries) {
      this.log.push(`ipcache ${cidr}=${identity}`);
      this.ipcache.set(cidr, identity);
    }
  }
  async removeIdentities(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      this.log.push(`ipcache-delete ${cidr}`);
      this.ipcache.delete(cidr);
    }
  }
  async swapRules(endpointId: number, direction: 0 | 1, rules: readonly PolicyRule[]) {
    this.log.push(`swap ${endpointId}/${direction} ${rules.map((r) => r.identity).join(',')}`);
    this.rules.set(`${endpointId}/${direction}`, rules);
    return rules.length;
  }
  async clearRules(endpointId: number, direction: 0 | 1) {
    this.log.push(`clear ${endpointId}/${direction}`);
    this.rules.delete(`${endpointId}/${direction}`);
  }
  async readIdentities() {
    return [...this.ipcache].map(([cidr, identity]) => ({ cidr, identity }));
  }
  async endpointIfindexes() {
    return [...this.endpoints.keys()];
  }
}

const VETHS: Record<string, number> = { '10.0.0.2': 12, '10.0.0.3': 13 };

function enforcer(dataplane: MemoryDataplane): Enforcer {
  return new Enforcer({
    dataplane,
    findHostVeth: async (ip) =>
      VETHS[ip] === undefined ? null : { ifname: `hv${VETHS[ip]}`, ifindex: VETHS[ip]! },
    nodeName: 'node-1',
    nodeNetns: '-',
    nodeAddresses: ['10.0.255.1'],
    log: pino({ level: 'silent' }),
  });
}

function addPod(e: Enforcer, name: string, ip: string, labels: Record<string, string>, nodeName = 'node-1') {
  const pod: PodInfo = { namespace: 'shop', name, labels, ip, hostNetwork: false, ports: [] };
  const facts: PodFacts = { namespace: 'shop', name, labels, nodeName, hostNetwork: false, ips: [ip] };
  e.apply({ kind: 'pod-upsert', pod }, facts);
}

const ALLOW_WEB_TO_DB: NetworkPolicy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'db', namespace: 'shop' },
  spec: {
    podSelector: { matchLabels: { app: 'db' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          { podSelector: { matchLabels: { app: 'web' } } },
          { ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.9.0/24'] } },
        ],
      },
    ],
  },
};

test('a new local pod is closed before its programs attach, and ready only after its rules', async () => {
  const dataplane = new MemoryDataplane();
  const e = enforcer(dataplane);
  await e.adopt();
  e.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  addPod(e, 'db', '10.0.0.2', { app: 'db' });
  await e.flush();
  const log = dataplane.log;
  expect(log.indexOf('endpoint 12 ready=false in=false')).toBeLessThan(log.indexOf('attach hv12'));
  expect(log.findIndex((l) => l.startsWith('swap 12/0'))).toBeLessThan(
    log.indexOf('endpoint 12 ready=true in=true'),
  );
  expect(dataplane.endpoints.get(12)).toMatchObject({
    ready: true,
    ingressIsolated: true,
    egressIsolated: false,
  });
  expect(dataplane.ipcache.get('10.0.255.1/32')).toBe(1);
});

test('a peer pod elsewhere: its identity enters the rules before the ipcache, and leaves both when it goes', async () => {
  const dataplane = new MemoryDataplane();
  const e = enforcer(dataplane);
  await e.adopt();
  e.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  addPod(e, 'db', '10.0.0.2', { app: 'db' });
  await e.flush();
  dataplane.log.length = 0;
  addPod(e, 'web', '10.1.0.7', { app: 'web' }, 'node-2');
  await e.flush();
  const web = dataplane.ipcache.get('10.1.0.7/32')!;
  const swap = dataplane.log.findIndex(
    (l) => l.startsWith('swap 12/0') && l.split(' ')[2]!.split(',').includes(String(web)),
  );
  expect(swap).toBeGreaterThanOrEqual(0);
  expect(swap).toBeLessThan(dataplane.log.indexOf(`ipcache 10.1.0.7/32=${web}`));

  dataplane.log.length = 0;
  e.apply({ kind: 'pod-delete', namespace: 'shop', name: 'web' });
  await e.flush();
  expect(dataplane.ipcache.has('10.1.0.7/32')).toBe(false);
  expect(dataplane.rules.get('12/0')!.map((r) => r.identity)).not.toContain(web);
});

test('an ipBlock gives its refined prefixes and the pods inside it (not those in its except)', async () => {
  const dataplane = new MemoryDataplane();
  const e = enforcer(dataplane);
  await e.adopt();
  e.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  addPod(e, 'db', '10.0.0.2', { app: 'db' });
  addPod(e, 'inside', '10.0.5.5', { app: 'other' }, 'node-2');
  addPod(e, 'excepted', '10.0.9.9', { app: 'other' }, 'node-2');
  await e.flush();
  const allowed = dataplane.rules.get('12/0')!.map((r) => r.identity);
  expect(allowed).toContain(dataplane.ipcache.get('10.0.0.0/16'));
  expect(allowed).not.toContain(dataplane.ipcache.get('10.0.9.0/24'));
  expect(allowed).toContain(dataplane.ipcache.get('10.0.5.5/32'));
  expect(allowed).not.toContain(dataplane.ipcache.get('10.0.9.9/32'));
});

test('a restarted enforcer adopts the pinned identities and endpoints: nothing is closed again or renumbered', async () => {
  const dataplane = new MemoryDataplane();
  const first = enforcer(dataplane);
  await first.adopt();
  first.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  addPod(first, 'db', '10.0.0.2', { app: 'db' });
  addPod(first, 'web', '10.1.0.7', { app: 'web' }, 'node-2');
  await first.flush();
  const before = new Map(dataplane.ipcache);
  const rulesBefore = dataplane.rules.get('12/0');

  dataplane.log.length = 0;
  dataplane.ipcache.set('10.9.9.9/32', 999); // a pod that went away while the agent was down: removed
  const second = enforcer(dataplane);
  await second.adopt();
  second.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  addPod(second, 'db', '10.0.0.2', { app: 'db' });
  addPod(second, 'web', '10.1.0.7', { app: 'web' }, 'node-2');
  await second.flush();
  expect(dataplane.log).not.toContain('endpoint 12 ready=false in=false');
  expect(dataplane.ipcache).toEqual(before);
  expect(dataplane.rules.get('12/0')).toEqual(rulesBefore);
});

const CACHE_FROM_RED: NetworkPolicy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'cache', namespace: 'shop' },
  spec: {
    podSelector: { matchLabels: { app: 'cache' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { team: 'red' } } }] }],
  },
};

test('a pod elsewhere of an existing class costs one ipcache write; a new class rewrites only the local sides naming its selectors', async () => {
  const dataplane = new MemoryDataplane();
  const e = enforcer(dataplane);
  await e.adopt();
  e.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  e.apply({ kind: 'policy-upsert', policy: CACHE_FROM_RED });
  addPod(e, 'db', '10.0.0.2', { app: 'db' });
  addPod(e, 'cache', '10.0.0.3', { app: 'cache' });
  addPod(e, 'web-1', '10.1.0.7', { app: 'web', 'pod-template-hash': 'a' }, 'node-2');
  await e.flush();
  const web = dataplane.ipcache.get('10.1.0.7/32')!;

  // Same class (no selector reads pod-template-hash): its address, nothing else.
  dataplane.log.length = 0;
  addPod(e, 'web-2', '10.1.0.8', { app: 'web', 'pod-template-hash': 'b' }, 'node-2');
  await e.flush();
  expect(dataplane.log).toEqual([`ipcache 10.1.0.8/32=${web}`]);

  // A pod no local rule can tell apart from the world's other unselected pods: one write too.
  addPod(e, 'stray-1', '10.1.0.20', { app: 'stray' }, 'node-2');
  await e.flush();
  dataplane.log.length = 0;
  addPod(e, 'stray-2', '10.1.0.21', { app: 'stray-too' }, 'node-2');
  await e.flush();
  expect(dataplane.log).toEqual([`ipcache 10.1.0.21/32=${dataplane.ipcache.get('10.1.0.20/32')}`]);

  // team=red makes a new class: cache's ingress (which names team=red) is swapped, db's is not.
  dataplane.log.length = 0;
  addPod(e, 'red', '10.1.0.9', { app: 'other', team: 'red' }, 'node-2');
  await e.flush();
  const red = dataplane.ipcache.get('10.1.0.9/32')!;
  expect(red).not.toBe(web);
  expect(dataplane.log.filter((l) => l.startsWith('swap'))).toEqual([`swap 13/0 ${red}`]);
  expect(dataplane.log.indexOf(`swap 13/0 ${red}`)).toBeLessThan(
    dataplane.log.indexOf(`ipcache 10.1.0.9/32=${red}`),
  );

  // web-2 relabelled into team=red too: a new class both local sides name, both swapped before its address moves.
  dataplane.log.length = 0;
  addPod(e, 'web-2', '10.1.0.8', { app: 'web', team: 'red' }, 'node-2');
  await e.flush();
  const both = dataplane.ipcache.get('10.1.0.8/32')!;
  expect([web, red]).not.toContain(both);
  const swaps = dataplane.log.filter((l) => l.startsWith('swap')).map((l) => l.split(' ')[1]);
  expect(swaps.sort()).toEqual(['12/0', '13/0']);
  expect(dataplane.rules.get('12/0')!.map((r) => r.identity)).toEqual(expect.arrayContaining([web, both]));
  expect(
    dataplane.rules
      .get('13/0')!
      .map((r) => r.identity)
      .sort(),
  ).toEqual([red, both].sort());
  expect(dataplane.log.findIndex((l) => l.startsWith('ipcache 10.1.0.8/32'))).toBeGreaterThan(
    Math.max(...['12/0', '13/0'].map((s) => dataplane.log.findIndex((l) => l.startsWith(`swap ${s}`)))),
  );

  // The last pod of a class goes: its address is removed, the rules naming it are rewritten without it.
  dataplane.log.length = 0;
  e.apply({ kind: 'pod-delete', namespace: 'shop', name: 'web-2' });
  await e.flush();
  expect(dataplane.ipcache.has('10.1.0.8/32')).toBe(false);
  expect(dataplane.rules.get('12/0')!.map((r) => r.identity)).not.toContain(both);
  expect(dataplane.rules.get('13/0')!.map((r) => r.identity)).toEqual([red]);
});

test('a pod moving out of a class it was alone in: the old identity stays in the rules until its address moved', async () => {
  const dataplane = new MemoryDataplane();
  const e = enforcer(dataplane);
  await e.adopt();
  e.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  e.apply({ kind: 'policy-upsert', policy: CACHE_FROM_RED });
  addPod(e, 'db', '10.0.0.2', { app: 'db' });
  addPod(e, 'cache', '10.0.0.3', { app: 'cache' });
  addPod(e, 'web', '10.1.0.7', { app: 'web' }, 'node-2');
  await e.flush();
  const alone = dataplane.ipcache.get('10.1.0.7/32')!;
  dataplane.log.length = 0;
  addPod(e, 'web', '10.1.0.7', { app: 'web', team: 'red' }, 'node-2');
  await e.flush();
  const now = dataplane.ipcache.get('10.1.0.7/32')!;
  const moved = dataplane.log.indexOf(`ipcache 10.1.0.7/32=${now}`);
  // Before the address moves, db's ingress admits both identities (web is allowed throughout)...
  const first = dataplane.log.findIndex((l) => l.startsWith('swap 12/0'));
  expect(first).toBeLessThan(moved);
  expect(dataplane.log[first]!.split(' ')[2]!.split(',').map(Number)).toEqual(
    expect.arrayContaining([alone, now]),
  );
  // ...and after, only the one it holds.
  expect(dataplane.rules.get('12/0')!.map((r) => r.identity)).toContain(now);
  expect(dataplane.rules.get('12/0')!.map((r) => r.identity)).not.toContain(alone);
});

test('after a restart, pods of one class holding different identities keep being admitted while their addresses move', async () => {
  const dataplane = new MemoryDataplane();
  // What an agent giving one identity per pod left pinned: web-1 = 300, web-2 = 301.
  dataplane.ipcache.set('10.1.0.7/32', 300);
  dataplane.ipcache.set('10.1.0.8/32', 301);
  const e = enforcer(dataplane);
  await e.adopt();
  e.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  addPod(e, 'db', '10.0.0.2', { app: 'db' });
  addPod(e, 'web-1', '10.1.0.7', { app: 'web' }, 'node-2');
  addPod(e, 'web-2', '10.1.0.8', { app: 'web' }, 'node-2');
  await e.flush();
  const swaps = dataplane.log.filter((l) => l.startsWith('swap 12/0'));
  const moved = dataplane.log.indexOf('ipcache 10.1.0.8/32=300');
  expect(moved).toBeGreaterThan(dataplane.log.indexOf(swaps[0]!));
  expect(swaps[0]!.split(' ')[2]!.split(',').map(Number)).toEqual(expect.arrayContaining([300, 301]));
  expect(dataplane.ipcache.get('10.1.0.7/32')).toBe(300);
  expect(dataplane.ipcache.get('10.1.0.8/32')).toBe(300);
  expect(dataplane.rules.get('12/0')!.map((r) => r.identity)).not.toContain(301);
});

// ---- the maps against the evaluator, after random events ----

const LABELS = fc.record(
  { app: fc.constantFrom('x', 'y'), team: fc.constantFrom('red', 'blue') },
  { requiredKeys: [] },
);
const NAMES = ['a/p0', 'a/p1', 'a/p2', 'b/p0', 'b/p1', 'b/p2'];

interface PodChoice {
  key: string;
  labels: Record<string, string>;
  net: 0 | 1 | 2;
  local: boolean;
  hostNetwork: boolean;
  http: number | null;
}

const podChoice: fc.Arbitrary<PodChoice> = fc.record({
  key: fc.constantFrom(...NAMES),
  labels: LABELS,
  net: fc.constantFrom(0 as const, 1 as const, 2 as const),
  local: fc.boolean(),
  hostNetwork: fc.constant(false),
  http: fc.option(fc.constantFrom(80, 8080)),
});

type AgentEvent =
  | { kind: 'pod'; pod: PodChoice }
  | { kind: 'pod-delete'; key: string }
  | { kind: 'namespace'; name: string; labels: Record<string, string> }
  | { kind: 'policy'; key: string; spec: NetworkPolicy['spec']; audit: boolean }
  | { kind: 'policy-delete'; key: string };

const agentEvent: fc.Arbitrary<AgentEvent> = fc.oneof(
  { weight: 5, arbitrary: podChoice.map((pod): AgentEvent => ({ kind: 'pod', pod })) },
  { weight: 1, arbitrary: fc.constantFrom(...NAMES).map((key): AgentEvent => ({ kind: 'pod-delete', key })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('a', 'b'), LABELS)
      .map(([name, labels]): AgentEvent => ({ kind: 'namespace', name, labels })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('a/n0', 'a/n1', 'b/n0'), specArbitrary(LABELS), fc.nat(2))
      .map(([key, spec, audit]): AgentEvent => ({ kind: 'policy', key, spec, audit: audit === 0 })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('a/n0', 'a/n1', 'b/n0')
      .map((key): AgentEvent => ({ kind: 'policy-delete', key })),
  },
);

/** A pod's address: unique per pod, in one of three networks (10.0.0.0/24, 10.0.1.0/24, 192.168.0.0/24). */
function addressOf(choice: PodChoice): string {
  const n = NAMES.indexOf(choice.key) + 1;
  return [`10.0.0.${n}`, `10.0.1.${n}`, `192.168.0.${n}`][choice.net]!;
}

/** The longest prefix of the ipcache holding `ip` (IPv4 only here). */
function lookup(ipcache: ReadonlyMap<string, number>, ip: string): number {
  const bits = (a: string) => a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  const address = bits(ip);
  let best: [number, number] | undefined;
  for (const [cidr, identity] of ipcache) {
    const [base, len] = cidr.split('/') as [string, string];
    const prefix = Number(len);
    if (base.includes(':')) continue;
    const mask = prefix === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n);
    if ((bits(base) & mask) === (address & mask) && (best === undefined || prefix > best[0]))
      best = [prefix, identity];
  }
  return best?.[1] ?? IDENTITY.WORLD;
}

/** Whether the kernel passes a new flow: open, audited (its rules never drop), or a rule admits it. */
function mapsAllow(
  dataplane: MemoryDataplane,
  ifindex: number,
  direction: 0 | 1,
  peerIp: string,
  port: number,
  protocol: Protocol,
): boolean {
  const endpoint = dataplane.endpoints.get(ifindex);
  if (endpoint === undefined || !endpoint.ready) return false;
  if (!(direction === 0 ? endpoint.ingressIsolated : endpoint.egressIsolated)) return true;
  if (direction === 0 ? endpoint.ingressAudit : endpoint.egressAudit) return true;
  return rulesAdmit(dataplane, ifindex, direction, peerIp, port, protocol);
}

/** Whether the audited side's rules admit a new flow (false: a WOULD_DROP); null when not audited. */
function auditAdmits(
  dataplane: MemoryDataplane,
  ifindex: number,
  direction: 0 | 1,
  peerIp: string,
  port: number,
  protocol: Protocol,
): boolean | null {
  const endpoint = dataplane.endpoints.get(ifindex);
  const audited = direction === 0 ? endpoint?.ingressAudit : endpoint?.egressAudit;
  if (endpoint === undefined || audited !== true) return null;
  expect(direction === 0 ? endpoint.ingressIsolated : endpoint.egressIsolated).toBe(true);
  return rulesAdmit(dataplane, ifindex, direction, peerIp, port, protocol);
}

function rulesAdmit(
  dataplane: MemoryDataplane,
  ifindex: number,
  direction: 0 | 1,
  peerIp: string,
  port: number,
  protocol: Protocol,
): boolean {
  const identity = lookup(dataplane.ipcache, peerIp);
  return (dataplane.rules.get(`${ifindex}/${direction}`) ?? []).some(
    (r) =>
      (r.identity === IDENTITY.ANY || r.identity === identity) &&
      (r.protocol === undefined || r.protocol === protocol) &&
      (r.port === undefined || (r.port <= port && port <= (r.endPort ?? r.port))),
  );
}

/** The policy with its audit-mode annotation removed (so the evaluator enforces it). */
function enforced(p: NetworkPolicy): NetworkPolicy {
  return { ...p, metadata: { namespace: p.metadata.namespace, name: p.metadata.name } };
}

test("after any events, every local pod's maps admit exactly what the evaluator allows (class identities), and an audited side's rules what its audit policies would", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(agentEvent, { minLength: 1, maxLength: 14 }), async (events) => {
      const dataplane = new MemoryDataplane();
      const e = new Enforcer({
        dataplane,
        findHostVeth: async (ip) => {
          const n = Number(ip.split('.')[3]) + 100 * Number(ip.split('.')[2]);
          return { ifname: `hv${n}`, ifindex: n };
        },
        nodeName: 'node-1',
        nodeNetns: '-',
        nodeAddresses: ['10.0.255.1'],
        log: pino({ level: 'silent' }),
      });
      await e.adopt();
      const pods = new Map<string, { info: PodInfo; local: boolean }>();
      const namespaces = new Map([
        ['a', namespace('a')],
        ['b', namespace('b')],
      ]);
      const policies = new Map<string, NetworkPolicy>();
      for (const ns of namespaces.values()) e.apply({ kind: 'namespace-upsert', namespace: ns });
      for (const [i, event] of events.entries()) {
        if (event.kind === 'pod') {
          const c = event.pod;
          const ip = addressOf(c);
          const info = podOf(c.key, {
            labels: c.labels,
            ip,
            hostNetwork: c.hostNetwork,
            ports: c.http === null ? [] : [{ name: 'http', containerPort: c.http, protocol: 'TCP' }],
          });
          pods.set(c.key, { info, local: c.local });
          const facts: PodFacts = {
            namespace: info.namespace,
            name: info.name,
            labels: info.labels,
            nodeName: c.local ? 'node-1' : 'node-2',
            hostNetwork: c.hostNetwork,
            ips: [ip],
          };
          e.apply({ kind: 'pod-upsert', pod: info }, facts);
        } else if (event.kind === 'pod-delete') {
          pods.delete(event.key);
          const [ns, name] = event.key.split('/') as [string, string];
          e.apply({ kind: 'pod-delete', namespace: ns, name });
        } else if (event.kind === 'namespace') {
          const ns = namespace(event.name, event.labels);
          namespaces.set(event.name, ns);
          e.apply({ kind: 'namespace-upsert', namespace: ns });
        } else if (event.kind === 'policy') {
          const plain = policyOf(event.key, event.spec);
          const p = event.audit
            ? { ...plain, metadata: { ...plain.metadata, annotations: { [AUDIT_ANNOTATION]: '' } } }
            : plain;
          policies.set(event.key, p);
          e.apply({ kind: 'policy-upsert', policy: p });
        } else {
          policies.delete(event.key);
          const [ns, name] = event.key.split('/') as [string, string];
          e.apply({ kind: 'policy-delete', namespace: ns, name });
        }
        // Flush after some events only: a pass must also be right for a burst.
        if (i % 3 !== 1 && i !== events.length - 1) continue;
        await e.flush();
        const base = {
          namespaces: [...namespaces.values()],
          pods: [...pods.values()].map((p) => p.info),
          workloads: [],
          services: [],
        };
        const all = [...policies.values()];
        // What is enforced: the policies not in audit mode; what audited sides would enforce: the others.
        const state: ClusterState = { ...base, policies: all.filter((p) => !isAuditPolicy(p)) };
        const index = buildPolicyIndex(state);
        const auditIndex = buildPolicyIndex({ ...base, policies: all.filter(isAuditPolicy).map(enforced) });
        const peers = [...pods.values()].filter((p) => p.info.ip !== undefined);
        for (const { info: self, local } of pods.values()) {
          if (!local || self.hostNetwork) continue;
          const ifindex = Number(self.ip!.split('.')[3]) + 100 * Number(self.ip!.split('.')[2]);
          const sides = [compilePodIngress(index, self), compilePodEgress(index, self)] as const;
          const auditSides = [
            compilePodIngress(auditIndex, self),
            compilePodEgress(auditIndex, self),
          ] as const;
          for (const { info: peer } of peers) {
            if (peer === self) continue;
            for (const [port, protocol] of [
              [80, 'TCP'],
              [8080, 'TCP'],
              [80, 'UDP'],
            ] as const) {
              for (const [direction, side] of [
                [0, sides[0]],
                [1, sides[1]],
              ] as const) {
                const allowed = compiledSideAllows(
                  index,
                  side,
                  { kind: 'pod', pod: peer },
                  port,
                  protocol,
                ).allowed;
                const auditSide = auditSides[direction];
                const expected = {
                  allowed,
                  audit:
                    side.isolated || !auditSide.isolated
                      ? null
                      : compiledSideAllows(auditIndex, auditSide, { kind: 'pod', pod: peer }, port, protocol)
                          .allowed,
                };
                const actual = {
                  allowed: mapsAllow(dataplane, ifindex, direction, peer.ip!, port, protocol),
                  audit: auditAdmits(dataplane, ifindex, direction, peer.ip!, port, protocol),
                };
                expect({
                  after: i,
                  self: self.name,
                  ns: self.namespace,
                  peer: `${peer.namespace}/${peer.name}`,
                  direction,
                  port,
                  protocol,
                  allowed: actual,
                }).toEqual({
                  after: i,
                  self: self.name,
                  ns: self.namespace,
                  peer: `${peer.namespace}/${peer.name}`,
                  direction,
                  port,
                  protocol,
                  allowed: expected,
                });
              }
            }
          }
        }
      }
    }),
    { numRuns: 300, seed: 9009 },
  );
});

test('a namespace relabelled elsewhere moves its pods into the class a namespaceSelector admits', async () => {
  const dataplane = new MemoryDataplane();
  const e = enforcer(dataplane);
  await e.adopt();
  e.apply({ kind: 'namespace-upsert', namespace: namespace('other') });
  e.apply({
    kind: 'policy-upsert',
    policy: policyOf('shop/from-red', {
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'red' } } }] }],
    }),
  });
  addPod(e, 'db', '10.0.0.2', { app: 'db' });
  const remote = podOf('other/api', { labels: { app: 'api' }, ip: '10.1.0.5' });
  e.apply(
    { kind: 'pod-upsert', pod: remote },
    {
      namespace: 'other',
      name: 'api',
      labels: {},
      nodeName: 'node-2',
      hostNetwork: false,
      ips: ['10.1.0.5'],
    },
  );
  await e.flush();
  expect(mapsAllow(dataplane, 12, 0, '10.1.0.5', 80, 'TCP')).toBe(false);
  e.apply({ kind: 'namespace-upsert', namespace: namespace('other', { team: 'red' }) });
  await e.flush();
  expect(mapsAllow(dataplane, 12, 0, '10.1.0.5', 80, 'TCP')).toBe(true);
  e.apply({ kind: 'namespace-upsert', namespace: namespace('other', { team: 'blue' }) });
  await e.flush();
  expect(mapsAllow(dataplane, 12, 0, '10.1.0.5', 80, 'TCP')).toBe(false);
});

// ---- audit mode (issue 10) ----

function audited(p: NetworkPolicy, window = '1h'): NetworkPolicy {
  return { ...p, metadata: { ...p.metadata, annotations: { [AUDIT_ANNOTATION]: window } } };
}

const DENY_INGRESS: NetworkPolicy = policyOf('shop/deny-in', { podSelector: {}, policyTypes: ['Ingress'] });

test('a side only audit-mode policies select is written with their rules and the AUDIT flag, an enforced policy winning', async () => {
  const dataplane = new MemoryDataplane();
  const e = enforcer(dataplane);
  await e.adopt();
  e.apply({ kind: 'policy-upsert', policy: audited(DENY_INGRESS) });
  e.apply({ kind: 'policy-upsert', policy: audited(ALLOW_WEB_TO_DB) });
  addPod(e, 'db', '10.0.0.2', { app: 'db' });
  addPod(e, 'web', '10.1.0.7', { app: 'web' }, 'node-2');
  addPod(e, 'stray', '10.1.0.8', { app: 'stray' }, 'node-2');
  await e.flush();
  expect(dataplane.endpoints.get(12)).toMatchObject({
    ready: true,
    ingressIsolated: true,
    ingressAudit: true,
    egressIsolated: false,
    egressAudit: false,
  });
  expect(e.auditPoliciesOf(12, 'ingress')).toEqual(['shop/db', 'shop/deny-in']);
  expect(e.auditPoliciesOf(12, 'egress')).toEqual([]);
  // Nothing is dropped; the rules say what would be: web is admitted, stray would be dropped.
  expect(mapsAllow(dataplane, 12, 0, '10.1.0.8', 80, 'TCP')).toBe(true);
  expect(auditAdmits(dataplane, 12, 0, '10.1.0.7', 80, 'TCP')).toBe(true);
  expect(auditAdmits(dataplane, 12, 0, '10.1.0.8', 80, 'TCP')).toBe(false);

  // The deny-all enforced: its rules alone (the audit allow takes no part), no AUDIT flag.
  e.apply({ kind: 'policy-upsert', policy: DENY_INGRESS });
  await e.flush();
  expect(dataplane.endpoints.get(12)).toMatchObject({ ingressIsolated: true, ingressAudit: false });
  expect(dataplane.rules.get('12/0')).toEqual([]);
  expect(e.auditPoliciesOf(12, 'ingress')).toEqual([]);
  expect(mapsAllow(dataplane, 12, 0, '10.1.0.7', 80, 'TCP')).toBe(false);

  // Both gone: open, rules cleared.
  e.apply({ kind: 'policy-delete', namespace: 'shop', name: 'deny-in' });
  e.apply({ kind: 'policy-delete', namespace: 'shop', name: 'db' });
  await e.flush();
  expect(dataplane.endpoints.get(12)).toMatchObject({ ingressIsolated: false, ingressAudit: false });
  expect(dataplane.rules.has('12/0')).toBe(false);
});

test('switching a side between audit and enforced: rules swapped while audited, never enforced with the wrong rules', async () => {
  const dataplane = new MemoryDataplane();
  const e = enforcer(dataplane);
  await e.adopt();
  addPod(e, 'db', '10.0.0.2', { app: 'db' });
  addPod(e, 'web', '10.1.0.7', { app: 'web' }, 'node-2');
  e.apply({ kind: 'policy-upsert', policy: audited(ALLOW_WEB_TO_DB) });
  await e.flush();
  const web = dataplane.ipcache.get('10.1.0.7/32')!;
  expect(dataplane.log.filter((l) => l.startsWith('endpoint 12')).at(-1)).toBe(
    'endpoint 12 ready=true in=true audit=in',
  );

  // "Enforce": the annotation removed. The rules are swapped while the side is still audited,
  // then the flag goes: web is admitted at every step.
  dataplane.log.length = 0;
  e.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  await e.flush();
  expect(dataplane.log.filter((l) => !l.startsWith('ipcache'))).toEqual([
    expect.stringMatching(/^swap 12\/0 /),
    'endpoint 12 ready=true in=true',
  ]);
  expect(dataplane.rules.get('12/0')!.map((r) => r.identity)).toContain(web);

  // Back to audit with other rules (a deny-all): the flag first, then the rules that would drop web.
  dataplane.log.length = 0;
  e.apply({ kind: 'policy-delete', namespace: 'shop', name: 'db' });
  e.apply({ kind: 'policy-upsert', policy: audited(DENY_INGRESS) });
  await e.flush();
  expect(dataplane.log.filter((l) => !l.startsWith('ipcache'))).toEqual([
    'endpoint 12 ready=true in=true audit=in',
    'swap 12/0 ',
    'endpoint 12 ready=true in=true audit=in',
  ]);
  expect(mapsAllow(dataplane, 12, 0, '10.1.0.7', 80, 'TCP')).toBe(true);
  expect(e.auditPoliciesOf(12, 'ingress')).toEqual(['shop/deny-in']);
});

test('after a restart, a side turned audit while the agent was down is audited before its rules are swapped, an enforced one after', async () => {
  const dataplane = new MemoryDataplane();
  const first = enforcer(dataplane);
  await first.adopt();
  addPod(first, 'db', '10.0.0.2', { app: 'db' });
  addPod(first, 'web', '10.1.0.7', { app: 'web' }, 'node-2');
  first.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  await first.flush();
  expect(dataplane.endpoints.get(12)).toMatchObject({ ingressIsolated: true, ingressAudit: false });

  // Down: the allow deleted and a deny-all applied in audit mode. The restarted agent's rules
  // (none) would drop web if the kernel still enforced them: the AUDIT flag goes first.
  dataplane.log.length = 0;
  const second = enforcer(dataplane);
  await second.adopt();
  addPod(second, 'db', '10.0.0.2', { app: 'db' });
  addPod(second, 'web', '10.1.0.7', { app: 'web' }, 'node-2');
  second.apply({ kind: 'policy-upsert', policy: audited(DENY_INGRESS) });
  await second.flush();
  expect(dataplane.log.filter((l) => !l.startsWith('ipcache') && !l.startsWith('attach'))).toEqual([
    'endpoint 12 ready=true in=true audit=in',
    'swap 12/0 ',
    'clear 12/1',
  ]);
  expect(mapsAllow(dataplane, 12, 0, '10.1.0.7', 80, 'TCP')).toBe(true);

  // Down again: the allow enforced beside it. The rules admitting web go in while still audited,
  // then the flag is cleared.
  dataplane.log.length = 0;
  const third = enforcer(dataplane);
  await third.adopt();
  addPod(third, 'db', '10.0.0.2', { app: 'db' });
  addPod(third, 'web', '10.1.0.7', { app: 'web' }, 'node-2');
  third.apply({ kind: 'policy-upsert', policy: audited(DENY_INGRESS) });
  third.apply({ kind: 'policy-upsert', policy: ALLOW_WEB_TO_DB });
  await third.flush();
  expect(dataplane.log.filter((l) => !l.startsWith('ipcache') && !l.startsWith('attach'))).toEqual([
    expect.stringMatching(/^swap 12\/0 \d/),
    'endpoint 12 ready=true in=true',
    'clear 12/1',
  ]);
  expect(mapsAllow(dataplane, 12, 0, '10.1.0.7', 80, 'TCP')).toBe(true);
});
