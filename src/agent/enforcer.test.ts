/**
 * The Enforcer over an in-memory dataplane that records every write in order: what it writes for
 * the engine's answer, and the order that keeps a change from opening a window.
 */
import pino from 'pino';
import type { EndpointState, PolicyRule } from '../adapters/bpf/bpf-dataplane';
import type { NetworkPolicy } from '../core/k8s/types';
import type { PodInfo } from '../core/state/cluster-state';
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
    this.log.push(`endpoint ${ifindex} ready=${state.ready} in=${state.ingressIsolated}`);
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
