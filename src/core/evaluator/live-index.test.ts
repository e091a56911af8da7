/**
 * LiveIndex against rebuilding from scratch: after any sequence of events on random small
 * clusters, every pod's compiled sides equal those of a PolicyIndex built on the final state, and
 * each event reports exactly the sides that differ between the index before and after it (a side
 * compared with its peer pods' addresses, which the node agent's maps hold).
 */
import fc from 'fast-check';
import type { ClusterState, NamespaceInfo, PodInfo } from '../state/cluster-state';
import {
  buildPolicyIndex,
  compilePodEgress,
  compilePodIngress,
  evaluateConnection,
  type IndexEvent,
  keyedSide,
  type KeyedSide,
  LiveIndex,
  type SideChange,
} from './index';
import { clusterState, namespace, pod, policy } from '../../../test/support/cluster-builders';
import { specArbitrary } from '../../../test/support/policy-arbitraries';

const NAMESPACES = ['a', 'b', 'c', 'd'];
const labelsArb = fc.record(
  { app: fc.constantFrom('x', 'y'), tier: fc.constantFrom('1', '2'), team: fc.constantFrom('red', 'blue') },
  { requiredKeys: [] },
);
const specArb = specArbitrary(labelsArb);
const podArb: fc.Arbitrary<PodInfo> = fc
  .record({
    ns: fc.constantFrom(...NAMESPACES),
    name: fc.constantFrom('p0', 'p1', 'p2', 'p3', 'p4'),
    labels: labelsArb,
    ip: fc.constantFrom(undefined, '10.0.0.1', '10.0.1.2', '10.0.2.3', '192.168.0.1'),
    hostNetwork: fc.boolean(),
    http: fc.option(fc.constantFrom(80, 8080)),
    dnsUdp: fc.boolean(),
  })
  .map((p) =>
    pod(`${p.ns}/${p.name}`, {
      labels: p.labels,
      hostNetwork: p.hostNetwork,
      ...(p.ip === undefined ? {} : { ip: p.ip }),
      ports: [
        ...(p.http === null ? [] : [{ name: 'http', containerPort: p.http, protocol: 'TCP' as const }]),
        ...(p.dnsUdp ? [{ name: 'dns', containerPort: 80, protocol: 'UDP' as const }] : []),
      ],
    }),
  );
const policyArb = fc
  .tuple(fc.constantFrom(...NAMESPACES), fc.constantFrom('n0', 'n1', 'n2'), specArb)
  .map(([ns, name, spec]) => policy(`${ns}/${name}`, spec));
const namespaceArb = fc
  .tuple(fc.constantFrom(...NAMESPACES), labelsArb)
  .map(([name, labels]) => namespace(name, labels));
const pick = fc.tuple(fc.constantFrom(...NAMESPACES), fc.constantFrom('p0', 'p1', 'p2', 'n0', 'n1'));
const eventArb: fc.Arbitrary<IndexEvent> = fc.oneof(
  { weight: 4, arbitrary: podArb.map((p): IndexEvent => ({ kind: 'pod-upsert', pod: p })) },
  {
    weight: 2,
    arbitrary: pick.map(([ns, name]): IndexEvent => ({ kind: 'pod-delete', namespace: ns, name })),
  },
  { weight: 2, arbitrary: namespaceArb.map((n): IndexEvent => ({ kind: 'namespace-upsert', namespace: n })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...NAMESPACES).map((name): IndexEvent => ({ kind: 'namespace-delete', name })),
  },
  { weight: 3, arbitrary: policyArb.map((p): IndexEvent => ({ kind: 'policy-upsert', policy: p })) },
  {
    weight: 1,
    arbitrary: pick.map(([ns, name]): IndexEvent => ({ kind: 'policy-delete', namespace: ns, name })),
  },
);
const stateArb = fc
  .record({
    nsLabels: fc.array(labelsArb, { minLength: 3, maxLength: 3 }),
    pods: fc.array(podArb, { maxLength: 6 }),
    policies: fc.array(policyArb, { maxLength: 4 }),
  })
  .map(({ nsLabels, pods, policies }) =>
    clusterState({
      namespaces: NAMESPACES.slice(0, 3).map((n, i) => namespace(n, nsLabels[i]!)),
      pods: lastByKey(pods, (p) => `${p.namespace}/${p.name}`),
      policies: lastByKey(policies, (p) => `${p.metadata.namespace}/${p.metadata.name}`),
    }),
  );

function lastByKey<T>(list: T[], key: (t: T) => string): T[] {
  return [...new Map(list.map((t) => [key(t), t])).values()];
}

/** The state after `event`, computed the plain way. */
function applyToState(state: ClusterState, event: IndexEvent): ClusterState {
  const podK = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
  switch (event.kind) {
    case 'pod-upsert':
      return { ...state, pods: [...state.pods.filter((p) => podK(p) !== podK(event.pod)), event.pod] };
    case 'pod-delete':
      return { ...state, pods: state.pods.filter((p) => podK(p) !== podK(event)) };
    case 'namespace-upsert':
      return {
        ...state,
        namespaces: [...state.namespaces.filter((n) => n.name !== event.namespace.name), event.namespace],
      };
    case 'namespace-delete':
      return { ...state, namespaces: state.namespaces.filter((n: NamespaceInfo) => n.name !== event.name) };
    case 'policy-upsert': {
      const key = `${event.policy.metadata.namespace}/${event.policy.metadata.name}`;
      const rest = state.policies.filter((p) => `${p.metadata.namespace}/${p.metadata.name}` !== key);
      return { ...state, policies: [...rest, event.policy] };
    }
    case 'policy-delete':
      return {
        ...state,
        policies: state.policies.filter(
          (p) => p.metadata.namespace !== event.namespace || p.metadata.name !== event.name,
        ),
      };
  }
}

/** Every side of a fresh index, with each peer pod's address beside its key. */
function sides(state: ClusterState): Map<string, string> {
  const index = buildPolicyIndex(state);
  const ips = new Map(state.pods.map((p) => [`${p.namespace}/${p.name}`, p.ip ?? '']));
  const at = (keys: readonly string[]) => keys.map((k) => `${k}@${ips.get(k)}`);
  const out = new Map<string, string>();
  for (const p of index.pods) {
    for (const side of [compilePodIngress(index, p), compilePodEgress(index, p)]) {
      const k = keyedSide(index, side);
      const withIps = k.rules.map((r) => ({
        ...r,
        peers: r.peers === 'any' ? 'any' : { ...r.peers, pods: at(r.peers.pods) },
        ports:
          r.ports === 'any'
            ? 'any'
            : r.ports.map((x) =>
                x.kind === 'range' ? x : { ...x, byPort: x.byPort.map((e) => ({ ...e, pods: at(e.pods) })) },
              ),
      }));
      out.set(`${side.pod} ${side.direction}`, JSON.stringify({ ...k, rules: withIps }));
    }
  }
  return out;
}

function differing(before: Map<string, string>, after: Map<string, string>): SideChange[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys]
    .filter((k) => before.get(k) !== after.get(k))
    .map((k) => {
      const [pod, direction] = k.split(' ') as [string, 'Ingress' | 'Egress'];
      return { pod, direction };
    })
    .sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : a.direction === 'Ingress' ? -1 : 1));
}

function expectSameAsRebuilt(live: LiveIndex, state: ClusterState): void {
  const index = buildPolicyIndex(state);
  for (const p of index.pods) {
    const key = `${p.namespace}/${p.name}`;
    const fresh: KeyedSide[] = [
      keyedSide(index, compilePodIngress(index, p)),
      keyedSide(index, compilePodEgress(index, p)),
    ];
    expect([live.compileIngress(key), live.compileEgress(key)]).toEqual(fresh);
  }
  expect(index.pods.map((p) => `${p.namespace}/${p.name}`).filter((k) => !live.has(k))).toEqual([]);
  const snapshot = live.snapshot();
  for (const src of index.pods) {
    for (const dst of index.pods) {
      for (const [port, protocol] of [
        [80, 'TCP'],
        [8080, 'TCP'],
        [80, 'UDP'],
      ] as const) {
        const s = { kind: 'pod' as const, pod: src };
        const d = { kind: 'pod' as const, pod: dst };
        expect(evaluateConnection(snapshot, s, d, port, protocol)).toEqual(
          evaluateConnection(index, s, d, port, protocol),
        );
      }
    }
  }
}

describe('LiveIndex', () => {
  it('answers like an index rebuilt from scratch and reports exactly the sides that changed', () => {
    fc.assert(
      fc.property(stateArb, fc.array(eventArb, { maxLength: 12 }), (initial, events) => {
        const live = LiveIndex.build(initial);
        let state = initial;
        expectSameAsRebuilt(live, state);
        for (const event of events) {
          const before = sides(state);
          const changed = live.apply(event);
          state = applyToState(state, event);
          expect({ event, changed }).toEqual({ event, changed: differing(before, sides(state)) });
        }
        expectSameAsRebuilt(live, state);
      }),
      { numRuns: 300, seed: 8008 },
    );
  });

  it('refuses an invalid pod IP or CIDR without changing anything', () => {
    const state = clusterState({
      namespaces: [namespace('a', {})],
      pods: [pod('a/web', { labels: { app: 'web' }, ip: '10.0.0.1' })],
      policies: [],
    });
    const live = LiveIndex.build(state);
    expect(() => live.apply({ kind: 'pod-upsert', pod: pod('a/web', { ip: '10.0.0.300' }) })).toThrow(
      'pod a/web has IP "10.0.0.300", which is not valid',
    );
    const bad = policy('a/bad', {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }],
    });
    expect(() => live.apply({ kind: 'policy-upsert', policy: bad })).toThrow(
      'NetworkPolicy a/bad spec.ingress[0].from[0].ipBlock.cidr',
    );
    expect(live.state().pods).toEqual(state.pods);
    expect(live.state().policies).toEqual([]);
    expect(live.compileIngress('a/web').isolated).toBe(false);
  });

  it('reports only the pods a policy selects, and nothing for an unchanged re-apply', () => {
    const web = pod('a/web', { labels: { app: 'web' }, ip: '10.0.0.1' });
    const db = pod('a/db', { labels: { app: 'db' }, ip: '10.0.0.2' });
    const live = LiveIndex.build(
      clusterState({ namespaces: [namespace('a', {})], pods: [web, db], policies: [] }),
    );
    const allow = policy('a/web-in', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }] }],
    });
    expect(live.apply({ kind: 'policy-upsert', policy: allow })).toEqual([
      { pod: 'a/web', direction: 'Ingress' },
    ]);
    expect(live.apply({ kind: 'policy-upsert', policy: allow })).toEqual([]);
    // db moves: web's peers change, db's own sides do not.
    expect(live.apply({ kind: 'pod-upsert', pod: { ...db, ip: '10.0.0.9' } })).toEqual([
      { pod: 'a/web', direction: 'Ingress' },
    ]);
    expect(
      live.apply({ kind: 'pod-upsert', pod: { ...db, labels: { app: 'db', v: '2' }, ip: '10.0.0.9' } }),
    ).toEqual([]);
  });
});
