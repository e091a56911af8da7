import { buildPolicyIndex, computeMatrix, evaluateConnection } from './index';
import { clusterState, namespace, pod, policy } from '../../../test/support/cluster-builders';

const state = clusterState({
  namespaces: [namespace('shop', { team: 'a' }), namespace('ops', { team: 'b' })],
  pods: [
    pod('shop/web', {
      labels: { app: 'web' },
      ip: '10.1.0.1',
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
    }),
    pod('shop/db', {
      labels: { app: 'db' },
      ip: '10.1.0.2',
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    }),
    pod('ops/probe', { labels: { app: 'probe' }, ip: '10.2.0.1' }),
    pod('ops/node-agent', { labels: { app: 'agent' }, ip: '192.168.1.1', hostNetwork: true }),
  ],
  policies: [
    policy('shop/deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy('shop/web-in', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'b' } } }], ports: [{ port: 'http' }] }],
    }),
    policy('shop/web-to-db', {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 'http' }] }],
    }),
    policy('shop/db-in', {
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ podSelector: {} }, { ipBlock: { cidr: '192.168.0.0/16' } }] }],
    }),
  ],
});

describe('computeMatrix', () => {
  it('lists pods sorted, hostNetwork ones included, and agrees with evaluateConnection on every pair', () => {
    const index = buildPolicyIndex(state);
    for (const [port, protocol] of [
      [80, 'TCP'],
      [8080, 'TCP'],
      [80, 'UDP'],
    ] as const) {
      const matrix = computeMatrix(index, { port, protocol });
      expect(matrix.pods).toEqual(['ops/node-agent', 'ops/probe', 'shop/db', 'shop/web']);
      matrix.pods.forEach((_, from) =>
        matrix.pods.forEach((__, to) => {
          const v = evaluateConnection(
            index,
            { kind: 'pod', pod: index.pods[from]! },
            { kind: 'pod', pod: index.pods[to]! },
            port,
            protocol,
          );
          expect([from, to, matrix.allowed(from, to)]).toEqual([from, to, v.allowed]);
        }),
      );
      matrix.pods.forEach((_, from) => {
        const row = matrix.pods.map((__, to) => to).filter((to) => matrix.allowed(from, to));
        expect([from, matrix.reachableFrom(from)]).toEqual([from, row]);
      });
    }
  });

  it('serialises every pair, self included', () => {
    const m = computeMatrix(buildPolicyIndex(state), { port: 80, protocol: 'TCP' }).toJSON();
    expect(m).toEqual({
      'ops/node-agent': { 'ops/node-agent': true, 'ops/probe': true, 'shop/db': true, 'shop/web': false },
      'ops/probe': { 'ops/node-agent': true, 'ops/probe': true, 'shop/db': false, 'shop/web': true },
      // shop pods may only send web -> db on db's "http" (8080), so nothing on 80.
      'shop/db': { 'ops/node-agent': false, 'ops/probe': false, 'shop/db': true, 'shop/web': false },
      'shop/web': { 'ops/node-agent': false, 'ops/probe': false, 'shop/db': false, 'shop/web': true },
    });
    const on8080 = computeMatrix(buildPolicyIndex(state), { port: 8080, protocol: 'TCP' }).toJSON();
    expect(on8080['shop/web']!['shop/db']).toBe(true);
    expect(on8080['ops/probe']!['shop/web']).toBe(false);
  });

  it('does not depend on the order of the state lists', () => {
    const shuffled = { ...state, pods: [...state.pods].reverse(), policies: [...state.policies].reverse() };
    const a = computeMatrix(buildPolicyIndex(state), { port: 8080, protocol: 'TCP' }).toJSON();
    const b = computeMatrix(buildPolicyIndex(shuffled), { port: 8080, protocol: 'TCP' }).toJSON();
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('gives pods isolated by the same policies their own named ports', () => {
    const named = clusterState({
      namespaces: [namespace('a'), namespace('b')],
      pods: [
        pod('a/one', {
          labels: { app: 'x' },
          ip: '10.3.0.1',
          ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
        }),
        pod('a/two', {
          labels: { app: 'x' },
          ip: '10.3.0.2',
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        }),
        pod('b/client', { labels: { app: 'c' }, ip: '10.4.0.1' }),
      ],
      policies: [
        policy('a/http-in', {
          podSelector: { matchLabels: { app: 'x' } },
          ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 'http' }] }],
        }),
      ],
    });
    const on80 = computeMatrix(buildPolicyIndex(named), { port: 80, protocol: 'TCP' }).toJSON();
    expect([on80['b/client']!['a/one'], on80['b/client']!['a/two']]).toEqual([true, false]);
    const on8080 = computeMatrix(buildPolicyIndex(named), { port: 8080, protocol: 'TCP' }).toJSON();
    expect([on8080['b/client']!['a/one'], on8080['b/client']!['a/two']]).toEqual([false, true]);
  });
});
