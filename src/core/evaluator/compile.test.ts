import type { Protocol } from '../k8s/types';
import {
  buildPolicyIndex,
  compiledSideAllows,
  compilePodEgress,
  compilePodIngress,
  evaluateConnection,
  podSetKeys,
  podSetPods,
  type TrafficEndpoint,
} from './index';
import { clusterState, namespace, pod, policy } from '../../../test/support/cluster-builders';

const web = pod('shop/web', {
  labels: { app: 'web' },
  ip: '10.1.0.1',
  ports: [
    { name: 'http', containerPort: 8080, protocol: 'TCP' },
    { name: 'metrics', containerPort: 9100, protocol: 'TCP' },
  ],
});
const db = pod('shop/db', {
  labels: { app: 'db' },
  ip: '10.1.0.2',
  ports: [{ name: 'http', containerPort: 5432, protocol: 'TCP' }],
});
const probe = pod('ops/probe', { labels: { app: 'probe' }, ip: '10.2.0.1' });
const agent = pod('ops/agent', { labels: { app: 'agent' }, ip: '192.168.1.1', hostNetwork: true });
const state = clusterState({
  namespaces: [namespace('shop', { team: 'a' }), namespace('ops', { team: 'b' })],
  pods: [web, db, probe, agent],
  policies: [
    policy('shop/web-in', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { team: 'b' } } },
            { ipBlock: { cidr: '10.0.0.0/8', except: ['10.2.0.0/16'] } },
          ],
          ports: [
            { port: 'http' },
            { port: 8000, endPort: 8079 },
            { port: 'missing' },
            { protocol: 'UDP', port: 53 },
          ],
        },
        { from: [{ podSelector: {} }], ports: [{ port: 'missing' }] },
      ],
    }),
    policy('shop/egress', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ podSelector: {} }],
          ports: [{ port: 'http' }, { port: 53, protocol: 'UDP' }, { port: 'http' }],
        },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443 }] },
      ],
    }),
  ],
});
const index = buildPolicyIndex(state);

describe('compilePodIngress', () => {
  it('resolves named ports on the pod itself into merged numeric ranges', () => {
    const side = compilePodIngress(index, web);
    expect(side).toMatchObject({
      direction: 'Ingress',
      pod: 'shop/web',
      applies: true,
      isolated: true,
      policies: ['shop/web-in'],
    });
    expect(side.rules.map((r) => r.ports)).toEqual([
      [
        { kind: 'range', protocol: 'TCP', from: 8000, to: 8080 }, // 8000-8079 and http=8080, adjacent
        { kind: 'range', protocol: 'UDP', from: 53, to: 53 },
      ],
      [], // the only port name does not resolve: the rule matches nothing
    ]);
    const peers = side.rules[0]!.peers;
    if (peers === 'any') throw new Error('expected peers');
    expect(podSetKeys(index, peers.pods)).toEqual(['ops/probe']); // selectors never match the hostNetwork agent
    expect(podSetPods(index, peers.pods)).toEqual([probe]);
    expect(peers.ipBlocks).toEqual([
      expect.objectContaining({ cidr: '10.0.0.0/8', except: ['10.2.0.0/16'] }),
    ]);
  });

  it('is not isolated for pods no ingress policy selects, and does not apply to hostNetwork pods', () => {
    expect(compilePodIngress(index, db)).toEqual({
      direction: 'Ingress',
      pod: 'shop/db',
      applies: true,
      isolated: false,
      policies: [],
      rules: [],
    });
    expect(compilePodIngress(index, agent)).toMatchObject({ applies: false, isolated: false, rules: [] });
  });
});

describe('compilePodEgress', () => {
  it('keeps named ports per destination pod, grouped by number', () => {
    const side = compilePodEgress(index, web);
    expect(side.policies).toEqual(['shop/egress']);
    const ports = side.rules[0]!.ports;
    if (ports === 'any') throw new Error('expected ports');
    expect(
      ports.map((p) =>
        p.kind === 'range' ? p : { ...p, byPort: p.byPort.map((e) => [e.port, podSetKeys(index, e.pods)]) },
      ),
    ).toEqual([
      { kind: 'range', protocol: 'UDP', from: 53, to: 53 },
      {
        kind: 'named',
        protocol: 'TCP',
        name: 'http',
        byPort: [
          [5432, ['shop/db']],
          [8080, ['shop/web']],
        ],
      },
    ]);
    expect(side.rules[1]!.peers).toEqual({
      pods: expect.anything(),
      ipBlocks: [expect.objectContaining({ cidr: '0.0.0.0/0' })],
    });
  });
});

describe('compiled sides agree with evaluateConnection', () => {
  const endpoints: TrafficEndpoint[] = [
    ...state.pods.map((p): TrafficEndpoint => ({ kind: 'pod', pod: p })),
    { kind: 'ip', ip: '10.9.9.9' },
    { kind: 'ip', ip: '10.2.3.4' },
    { kind: 'ip', ip: '1.1.1.1' },
  ];
  const cases: [number, Protocol][] = [
    [8080, 'TCP'],
    [8000, 'TCP'],
    [5432, 'TCP'],
    [9100, 'TCP'],
    [443, 'TCP'],
    [53, 'UDP'],
    [53, 'TCP'],
  ];
  it.each(cases)('on every pair, port %d/%s', (port, protocol) => {
    for (const src of endpoints) {
      for (const dst of endpoints) {
        const v = evaluateConnection(index, src, dst, port, protocol);
        if (v.self) continue;
        if (dst.kind === 'pod') {
          const compiled = compiledSideAllows(index, compilePodIngress(index, dst.pod), src, port, protocol);
          expect(compiled).toEqual({ allowed: v.ingress.allowed, allowedBy: v.ingress.allowedBy });
        }
        if (src.kind === 'pod') {
          const compiled = compiledSideAllows(index, compilePodEgress(index, src.pod), dst, port, protocol);
          expect(compiled).toEqual({ allowed: v.egress.allowed, allowedBy: v.egress.allowedBy });
        }
      }
    }
  });
});
