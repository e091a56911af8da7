import type { NetworkPolicy, Protocol } from '../k8s/types';
import { NetpolError } from '../errors';
import type { ClusterState } from '../state/cluster-state';
import { buildPolicyIndex, endpointForIp, evaluateConnection, type TrafficEndpoint } from './index';
import { clusterState, namespace, pod, policy } from '../../../test/support/cluster-builders';

/** A small cluster: frontend and backend namespaces, a monitoring namespace, one hostNetwork pod. */
const namespaces = [
  namespace('frontend', { team: 'web', env: 'prod' }),
  namespace('backend', { team: 'api', env: 'prod' }),
  namespace('monitoring', { team: 'ops', env: 'shared' }),
  namespace('kube-system'),
];
const pods = [
  pod('frontend/web', { labels: { app: 'web', tier: 'front' }, ip: '10.0.1.1' }),
  pod('frontend/api', { labels: { app: 'api', tier: 'front' }, ip: '10.0.1.2' }),
  pod('backend/api', {
    labels: { app: 'api', tier: 'back' },
    ip: '10.0.2.1',
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'dns', containerPort: 5353, protocol: 'UDP' },
    ],
  }),
  pod('backend/db', {
    labels: { app: 'db', tier: 'back' },
    ip: '10.0.2.2',
    ports: [{ name: 'http', containerPort: 9090, protocol: 'TCP' }],
  }),
  pod('backend/pending', { labels: { app: 'api', tier: 'back' } }),
  pod('monitoring/prom', { labels: { app: 'prom' }, ip: '10.0.3.1' }),
  pod('kube-system/agent', {
    labels: { app: 'agent' },
    ip: '192.168.0.10',
    hostNetwork: true,
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
  }),
];

function stateWith(...policies: NetworkPolicy[]): ClusterState {
  return clusterState({ namespaces, pods, policies });
}

function endpoint(state: ClusterState, name: string): TrafficEndpoint {
  if (!name.includes('/')) return { kind: 'ip', ip: name };
  const found = state.pods.find((p) => `${p.namespace}/${p.name}` === name);
  if (found === undefined) throw new Error(`no pod ${name}`);
  return { kind: 'pod', pod: found };
}

function verdict(state: ClusterState, from: string, to: string, port = 80, protocol: Protocol = 'TCP') {
  return evaluateConnection(
    buildPolicyIndex(state),
    endpoint(state, from),
    endpoint(state, to),
    port,
    protocol,
  );
}

function allowed(
  state: ClusterState,
  from: string,
  to: string,
  port = 80,
  protocol: Protocol = 'TCP',
): boolean {
  return verdict(state, from, to, port, protocol).allowed;
}

const denyAllIngress = (ns: string) => policy(`${ns}/deny-ingress`, { podSelector: {} });
const denyAllEgress = (ns: string) =>
  policy(`${ns}/deny-egress`, { podSelector: {}, policyTypes: ['Egress'] });

describe('without policies', () => {
  it('allows everything, and says why', () => {
    const v = verdict(stateWith(), 'frontend/web', 'backend/api');
    expect(v.allowed).toBe(true);
    expect(v.self).toBe(false);
    expect(v.ingress).toEqual({
      direction: 'Ingress',
      endpoint: 'backend/api',
      applies: true,
      isolated: false,
      isolatingPolicies: [],
      allowed: true,
      allowedBy: [],
      reason: 'not isolated for ingress: no NetworkPolicy selects backend/api, so all ingress is allowed',
    });
    expect(v.egress.reason).toBe(
      'not isolated for egress: no NetworkPolicy selects frontend/web, so all egress is allowed',
    );
    expect(v.summary).toMatch(/^frontend\/web -> backend\/api on TCP\/80: allowed/);
  });
});

describe('policyTypes defaulting', () => {
  it('a policy without policyTypes and without egress rules isolates ingress only', () => {
    const s = stateWith(policy('backend/p', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }));
    const v = verdict(s, 'backend/api', 'frontend/web');
    expect(v.egress.isolated).toBe(false);
    expect(v.egress.reason).toBe(
      'not isolated for egress: the one NetworkPolicy selecting backend/api (backend/p) does not have policyType Egress, so all egress is allowed',
    );
    expect(allowed(s, 'frontend/web', 'backend/api')).toBe(false);
    expect(allowed(s, 'backend/db', 'backend/api')).toBe(true);
  });

  it('a policy without policyTypes but with an egress rule isolates both directions', () => {
    const s = stateWith(policy('backend/p', { podSelector: {}, egress: [{ to: [{ podSelector: {} }] }] }));
    // Ingress too, with no ingress rule: nothing may come in, even from the same namespace.
    expect(verdict(s, 'backend/db', 'backend/api').ingress.isolated).toBe(true);
    expect(allowed(s, 'backend/db', 'backend/api')).toBe(false);
    expect(allowed(s, 'frontend/web', 'backend/api')).toBe(false);
    // Egress only to the own namespace.
    expect(verdict(s, 'backend/api', 'frontend/web').egress.allowed).toBe(false);
    expect(verdict(s, 'backend/api', 'backend/db').egress.allowed).toBe(true);
  });

  it('an empty egress list or empty policyTypes defaults to Ingress only', () => {
    const s = stateWith(policy('backend/p', { podSelector: {}, policyTypes: [], egress: [] }));
    expect(verdict(s, 'backend/api', 'frontend/web').egress.isolated).toBe(false);
    expect(verdict(s, 'frontend/web', 'backend/api').ingress.isolated).toBe(true);
  });

  it('explicit policyTypes win: ingress rules of an Egress-only policy are ignored', () => {
    const s = stateWith(
      policy('backend/p', {
        podSelector: {},
        policyTypes: ['Egress'],
        ingress: [{}],
        egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }],
      }),
    );
    const v = verdict(s, 'frontend/web', 'backend/api');
    expect(v.ingress.isolated).toBe(false);
    expect(verdict(s, 'backend/api', '8.8.8.8').egress.allowed).toBe(false);
    expect(verdict(s, 'backend/api', '10.9.9.9').egress.allowed).toBe(true);
  });

  it('explicit policyTypes [Ingress] ignores egress rules', () => {
    const s = stateWith(
      policy('backend/p', {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{}],
        egress: [{ ports: [] }],
      }),
    );
    expect(verdict(s, 'backend/api', '8.8.8.8').egress.isolated).toBe(false);
  });
});

describe('both sides must allow', () => {
  const allowWebToApi = policy('backend/allow-web', {
    podSelector: { matchLabels: { app: 'api' } },
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'web' } } }] }],
  });

  it('denies when egress allows but ingress does not', () => {
    const s = stateWith(denyAllIngress('backend'));
    const v = verdict(s, 'frontend/web', 'backend/api');
    expect([v.egress.allowed, v.ingress.allowed, v.allowed]).toEqual([true, false, false]);
    expect(v.summary).toBe(
      'frontend/web -> backend/api on TCP/80: denied by ingress (isolated for ingress by backend/deny-ingress; it has no ingress rule, so no ingress is allowed)',
    );
  });

  it('denies when ingress allows but egress does not', () => {
    const s = stateWith(allowWebToApi, denyAllEgress('frontend'));
    const v = verdict(s, 'frontend/web', 'backend/api');
    expect([v.egress.allowed, v.ingress.allowed, v.allowed]).toEqual([false, true, false]);
    expect(v.summary).toMatch(/: denied by egress \(isolated for egress by frontend\/deny-egress;/);
  });

  it('allows when both do', () => {
    const s = stateWith(
      allowWebToApi,
      policy('frontend/to-api', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } }, namespaceSelector: {} }] }],
      }),
    );
    const v = verdict(s, 'frontend/web', 'backend/api');
    expect(v.allowed).toBe(true);
    expect(v.egress.allowedBy).toEqual([{ policy: 'frontend/to-api', direction: 'Egress', ruleIndex: 0 }]);
    expect(v.ingress.allowedBy).toEqual([
      { policy: 'backend/allow-web', direction: 'Ingress', ruleIndex: 0 },
    ]);
    expect(v.ingress.reason).toBe('allowed by ingress rule #1 of backend/allow-web');
  });
});

describe('empty versus absent', () => {
  it('from absent or [] admits every source, outside the cluster included', () => {
    for (const rule of [{}, { from: [] }]) {
      const s = stateWith(policy('backend/p', { podSelector: {}, ingress: [rule] }));
      expect(allowed(s, 'frontend/web', 'backend/api')).toBe(true);
      expect(allowed(s, '203.0.113.7', 'backend/api')).toBe(true);
      expect(allowed(s, 'kube-system/agent', 'backend/api')).toBe(true);
    }
  });

  it('ingress absent or [] with type Ingress admits nothing', () => {
    for (const spec of [{ podSelector: {} }, { podSelector: {}, ingress: [] }]) {
      const s = stateWith(policy('backend/p', spec));
      expect(allowed(s, 'backend/db', 'backend/api')).toBe(false);
      expect(allowed(s, '203.0.113.7', 'backend/api')).toBe(false);
    }
  });

  it('ports absent or [] admit every port and protocol', () => {
    for (const rule of [{ from: [{ podSelector: {} }] }, { from: [{ podSelector: {} }], ports: [] }]) {
      const s = stateWith(policy('backend/p', { podSelector: {}, ingress: [rule] }));
      expect(allowed(s, 'backend/db', 'backend/api', 1)).toBe(true);
      expect(allowed(s, 'backend/db', 'backend/api', 65535, 'UDP')).toBe(true);
      expect(allowed(s, 'backend/db', 'backend/api', 9, 'SCTP')).toBe(true);
    }
  });

  it('an empty namespaceSelector matches every pod but no address outside the cluster', () => {
    const s = stateWith(
      policy('backend/p', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }),
    );
    expect(allowed(s, 'frontend/web', 'backend/api')).toBe(true);
    expect(allowed(s, 'monitoring/prom', 'backend/api')).toBe(true);
    expect(allowed(s, '203.0.113.7', 'backend/api')).toBe(false);
  });

  it('an empty podSelector peer matches the pods of the policy namespace only', () => {
    const s = stateWith(policy('backend/p', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }));
    expect(allowed(s, 'backend/db', 'backend/api')).toBe(true);
    expect(allowed(s, 'frontend/web', 'backend/api')).toBe(false);
  });
});

describe('peers', () => {
  it('namespaceSelector and podSelector in one peer are ANDed, in two peers ORed', () => {
    const and = stateWith(
      policy('backend/p', {
        podSelector: {},
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: 'web' } },
                podSelector: { matchLabels: { app: 'web' } },
              },
            ],
          },
        ],
      }),
    );
    expect(allowed(and, 'frontend/web', 'backend/api')).toBe(true);
    expect(allowed(and, 'frontend/api', 'backend/api')).toBe(false);
    expect(allowed(and, 'backend/db', 'backend/api')).toBe(false);

    const or = stateWith(
      policy('backend/p', {
        podSelector: {},
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { team: 'web' } } },
              { podSelector: { matchLabels: { app: 'db' } } },
            ],
          },
        ],
      }),
    );
    expect(allowed(or, 'frontend/web', 'backend/api')).toBe(true);
    expect(allowed(or, 'frontend/api', 'backend/api')).toBe(true);
    expect(allowed(or, 'backend/db', 'backend/api')).toBe(true);
    expect(allowed(or, 'monitoring/prom', 'backend/api')).toBe(false);
  });

  it('a podSelector-only peer looks in the policy namespace, not the source namespace', () => {
    const s = stateWith(
      policy('backend/p', {
        podSelector: {},
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }],
      }),
    );
    expect(allowed(s, 'frontend/api', 'backend/db')).toBe(false);
    expect(allowed(s, 'backend/api', 'backend/db')).toBe(true);
  });

  it('a policy selects pods of its own namespace only', () => {
    const s = stateWith(policy('frontend/p', { podSelector: { matchLabels: { app: 'api' } } }));
    expect(verdict(s, 'frontend/web', 'frontend/api').ingress.isolated).toBe(true);
    expect(verdict(s, 'frontend/web', 'backend/api').ingress.isolated).toBe(false);
  });

  it('applies matchExpressions to pods and namespaces', () => {
    const s = stateWith(
      policy('backend/p', {
        podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['api', 'db'] }] },
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchExpressions: [
                    { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['frontend'] },
                    { key: 'env', operator: 'Exists' },
                  ],
                },
                podSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] },
              },
            ],
          },
        ],
      }),
    );
    expect(allowed(s, 'monitoring/prom', 'backend/api')).toBe(true); // no tier label, env exists
    expect(allowed(s, 'frontend/web', 'backend/api')).toBe(false); // namespace excluded by name
    expect(allowed(s, 'backend/db', 'backend/api')).toBe(false); // has a tier label
  });

  it('ipBlock matches addresses in cidr and not in except, pod IPs included, pods without IP never', () => {
    const s = stateWith(
      policy('backend/p', {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24', '10.0.3.1/32'] } }] }],
      }),
    );
    expect(allowed(s, '10.0.200.1', 'backend/db')).toBe(true);
    expect(allowed(s, '10.0.1.77', 'backend/db')).toBe(false);
    expect(allowed(s, '10.1.0.1', 'backend/db')).toBe(false);
    expect(allowed(s, 'backend/api', 'backend/db')).toBe(true); // 10.0.2.1, as Calico and the e2e tests do
    expect(allowed(s, 'frontend/web', 'backend/db')).toBe(false); // 10.0.1.1 is excepted
    expect(allowed(s, 'monitoring/prom', 'backend/db')).toBe(false); // 10.0.3.1/32 is excepted
    expect(allowed(s, 'backend/pending', 'backend/db')).toBe(false); // no IP
  });

  it('ipBlock in an egress rule matches external addresses and pod IPs', () => {
    const s = stateWith(
      policy('frontend/p', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.0.2.0/24' } }] }],
      }),
    );
    expect(allowed(s, 'frontend/web', 'backend/api')).toBe(true);
    expect(allowed(s, 'frontend/web', '10.0.2.200')).toBe(true);
    expect(allowed(s, 'frontend/web', 'monitoring/prom')).toBe(false);
    expect(allowed(s, 'frontend/web', 'backend/pending')).toBe(false);
  });

  it('IPv6 ipBlocks match IPv6 addresses only', () => {
    const s = stateWith(
      policy('backend/p', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '::/0' } }] }] }),
    );
    expect(allowed(s, '2001:db8::1', 'backend/api')).toBe(true);
    expect(allowed(s, '198.51.100.1', 'backend/api')).toBe(false);
  });
});

describe('ports', () => {
  const ingressOn = (ports: object[]) =>
    stateWith(
      policy('backend/p', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }], ports }] }),
    );

  it('endPort makes an inclusive range', () => {
    const s = ingressOn([{ port: 8000, endPort: 8010 }]);
    expect([7999, 8000, 8005, 8010, 8011].map((p) => allowed(s, 'frontend/web', 'backend/api', p))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });

  it('protocol defaults to TCP and must match', () => {
    const s = ingressOn([{ port: 53 }, { protocol: 'UDP', port: 5353 }, { protocol: 'SCTP' }]);
    expect(allowed(s, 'frontend/web', 'backend/api', 53, 'TCP')).toBe(true);
    expect(allowed(s, 'frontend/web', 'backend/api', 53, 'UDP')).toBe(false);
    expect(allowed(s, 'frontend/web', 'backend/api', 5353, 'UDP')).toBe(true);
    expect(allowed(s, 'frontend/web', 'backend/api', 5353, 'TCP')).toBe(false);
    expect(allowed(s, 'frontend/web', 'backend/api', 1234, 'SCTP')).toBe(true); // no port: all SCTP ports
    expect(allowed(s, 'frontend/web', 'backend/api', 1234, 'TCP')).toBe(false);
  });

  it('an ingress named port resolves on each selected pod', () => {
    const s = ingressOn([{ port: 'http' }]);
    expect(allowed(s, 'frontend/web', 'backend/api', 8080)).toBe(true);
    expect(allowed(s, 'frontend/web', 'backend/api', 9090)).toBe(false);
    expect(allowed(s, 'frontend/web', 'backend/db', 9090)).toBe(true);
    expect(allowed(s, 'frontend/web', 'backend/db', 8080)).toBe(false);
    expect(allowed(s, 'frontend/web', 'backend/pending', 8080)).toBe(false); // no such port
  });

  it('a named port must have the same protocol', () => {
    expect(allowed(ingressOn([{ port: 'dns' }]), 'frontend/web', 'backend/api', 5353, 'UDP')).toBe(false);
    expect(
      allowed(ingressOn([{ port: 'dns', protocol: 'UDP' }]), 'frontend/web', 'backend/api', 5353, 'UDP'),
    ).toBe(true);
  });

  it('an egress named port resolves on the destination pod, never on an address', () => {
    const s = stateWith(
      policy('frontend/p', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 'http' }] }],
      }),
    );
    expect(allowed(s, 'frontend/web', 'backend/api', 8080)).toBe(true);
    expect(allowed(s, 'frontend/web', 'backend/api', 9090)).toBe(false);
    expect(allowed(s, 'frontend/web', 'backend/db', 9090)).toBe(true);
    expect(allowed(s, 'frontend/web', 'backend/db', 8080)).toBe(false);
    expect(allowed(s, 'frontend/web', '203.0.113.7', 8080)).toBe(false);
    // The hostNetwork pod declares http/8080, but names never resolve on hostNetwork pods.
    expect(allowed(s, 'frontend/web', 'kube-system/agent', 8080)).toBe(false);
    const v = verdict(s, 'frontend/web', 'backend/api', 9090);
    expect(v.egress.reason).toBe(
      'isolated for egress by frontend/p; no egress rule of its allows backend/api on TCP/9090 (egress rule #1 of frontend/p admits backend/api, but not on TCP/9090)',
    );
  });
});

describe('hostNetwork pods', () => {
  it('are never selected or isolated, even by an empty podSelector', () => {
    const s = stateWith(denyAllIngress('kube-system'), denyAllEgress('kube-system'));
    const v = verdict(s, 'kube-system/agent', 'kube-system/agent');
    expect(v.ingress.applies).toBe(false);
    const out = verdict(s, 'kube-system/agent', 'backend/api');
    expect(out.egress).toMatchObject({ applies: false, isolated: false, allowed: true });
    expect(out.egress.reason).toBe(
      'egress is not restricted: kube-system/agent uses the host network, and NetworkPolicies do not apply to hostNetwork pods',
    );
    expect(verdict(s, 'backend/api', 'kube-system/agent').ingress.applies).toBe(false);
    expect(allowed(s, 'backend/api', 'kube-system/agent')).toBe(true);
  });

  it('are never matched by selectors, but are by an ipBlock holding their address', () => {
    const bySelector = stateWith(
      policy('backend/p', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: {} }] }],
      }),
    );
    expect(allowed(bySelector, 'kube-system/agent', 'backend/api')).toBe(false);
    const byBlock = stateWith(
      policy('backend/p', {
        podSelector: {},
        ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.0/24' } }] }],
      }),
    );
    expect(allowed(byBlock, 'kube-system/agent', 'backend/api')).toBe(true);
  });
});

describe('self and external endpoints', () => {
  it('a pod may always send to itself', () => {
    const s = stateWith(denyAllIngress('backend'), denyAllEgress('backend'));
    const v = verdict(s, 'backend/api', 'backend/api');
    expect(v).toMatchObject({ allowed: true, self: true });
    expect(v.ingress).toMatchObject({ isolated: true, allowed: true, allowedBy: [] });
    expect(v.ingress.reason).toMatch(/^allowed because backend\/api is sending to itself/);
    expect(v.summary).toBe(
      "backend/api -> backend/api on TCP/80: allowed (a pod's traffic to itself is never blocked)",
    );
    expect(allowed(s, 'backend/api', 'backend/db')).toBe(false);
  });

  it('an address outside the cluster has no policies of its own', () => {
    const s = stateWith(denyAllIngress('backend'));
    const v = verdict(s, '203.0.113.7', 'frontend/web');
    expect(v.egress).toMatchObject({ endpoint: '203.0.113.7', applies: false, allowed: true });
    expect(v.egress.reason).toBe(
      'egress is not restricted: 203.0.113.7 is outside the cluster, where NetworkPolicies do not apply',
    );
    expect(v.allowed).toBe(true);
    expect(allowed(s, '203.0.113.7', 'backend/api')).toBe(false);
  });

  it('an address held by a pod is that pod', () => {
    const state = stateWith(denyAllIngress('backend'));
    const index = buildPolicyIndex(state);
    expect(endpointForIp(index, '10.0.2.1')).toEqual({
      kind: 'pod',
      pod: expect.objectContaining({ name: 'api' }),
    });
    expect(endpointForIp(index, '192.168.0.10')).toEqual({ kind: 'ip', ip: '192.168.0.10' }); // hostNetwork
    expect(endpointForIp(index, '8.8.8.8')).toEqual({ kind: 'ip', ip: '8.8.8.8' });
    const v = evaluateConnection(
      index,
      { kind: 'ip', ip: '10.0.1.1' },
      { kind: 'ip', ip: '10.0.2.1' },
      80,
      'TCP',
    );
    expect(v.ingress.endpoint).toBe('backend/api');
    expect(v.egress.endpoint).toBe('frontend/web');
    expect(v.allowed).toBe(false);
  });
});

describe('several policies', () => {
  it('ORs their rules, lists every allowing rule and every isolating policy, sorted', () => {
    const s = stateWith(
      policy('backend/z-web', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ from: [{ ipBlock: { cidr: '10.9.0.0/16' } }] }, { from: [{ namespaceSelector: {} }] }],
      }),
      policy('backend/a-deny', { podSelector: {} }),
      policy('backend/m-ports', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }),
    );
    const v = verdict(s, 'frontend/web', 'backend/api');
    expect(v.ingress.isolatingPolicies).toEqual(['backend/a-deny', 'backend/m-ports', 'backend/z-web']);
    expect(v.ingress.allowedBy).toEqual([
      { policy: 'backend/m-ports', direction: 'Ingress', ruleIndex: 0 },
      { policy: 'backend/z-web', direction: 'Ingress', ruleIndex: 1 },
    ]);
    expect(v.ingress.reason).toBe(
      'allowed by ingress rule #1 of backend/m-ports, ingress rule #2 of backend/z-web',
    );
    expect(allowed(s, 'frontend/web', 'backend/db', 80)).toBe(true);
    const denied = verdict(s, 'frontend/web', 'backend/db', 81);
    expect(denied.ingress.reason).toBe(
      'isolated for ingress by backend/a-deny, backend/m-ports; no ingress rule of theirs allows frontend/web on TCP/81 (ingress rule #1 of backend/m-ports admits frontend/web, but not on TCP/81)',
    );
  });
});

describe('determinism and input checks', () => {
  it('does not depend on the order of the state lists', () => {
    const policies = [
      policy('backend/a', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }),
      policy('backend/b', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ ports: [{ port: 80 }] }],
      }),
      policy('frontend/c', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: {} }] }],
      }),
    ];
    const a = clusterState({ namespaces, pods, policies });
    const b = clusterState({
      namespaces: [...namespaces].reverse(),
      pods: [...pods].reverse(),
      policies: [...policies].reverse(),
    });
    for (const [from, to] of [
      ['frontend/web', 'backend/api'],
      ['backend/db', 'backend/api'],
      ['frontend/web', '8.8.8.8'],
    ] as const) {
      expect(verdict(b, from, to)).toEqual(verdict(a, from, to));
    }
  });

  it('refuses unknown pods, bad addresses, bad ports and invalid objects with NetpolErrors', () => {
    const state = stateWith();
    const index = buildPolicyIndex(state);
    const ghost = pod('nowhere/ghost');
    const web = endpoint(state, 'frontend/web');
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof NetpolError ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => evaluateConnection(index, { kind: 'pod', pod: ghost }, web, 80, 'TCP'))).toBe(
      'E_UNKNOWN_ENDPOINT',
    );
    expect(code(() => evaluateConnection(index, { kind: 'ip', ip: '10.0.0.300' }, web, 80, 'TCP'))).toBe(
      'E_INVALID_VALUE',
    );
    expect(code(() => evaluateConnection(index, web, web, 0, 'TCP'))).toBe('E_INVALID_VALUE');
    expect(code(() => evaluateConnection(index, web, web, 80, 'ICMP' as Protocol))).toBe('E_INVALID_VALUE');
    expect(code(() => buildPolicyIndex(clusterState({ pods: [pods[0]!, pods[0]!] })))).toBe('E_STATE');
    expect(code(() => buildPolicyIndex(clusterState({ pods: [pod('a/b', { ip: 'x' })] })))).toBe(
      'E_INVALID_VALUE',
    );
    const badCidr = policy('backend/bad', {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0' } }] }],
    });
    expect(code(() => buildPolicyIndex(stateWith(badCidr)))).toBe('E_INVALID_VALUE');
    expect(() => buildPolicyIndex(stateWith(badCidr))).toThrow(
      'NetworkPolicy backend/bad spec.ingress[0].from[0].ipBlock.cidr: "10.0.0.0" is not a valid CIDR',
    );
  });
});
