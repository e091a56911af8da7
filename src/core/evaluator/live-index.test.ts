/**
 * LiveIndex against rebuilding from scratch: after any sequence of events on random small
 * clusters, (a) every pod's sides resolved through the maintained selectors equal those of a
 * PolicyIndex built on the final state, and (b) each event's report is exactly what changed: a
 * consumer holding the previous structures, selector members and pod facts, that recompiles the
 * reported sides and applies the deltas, resolves every side (with its peer pods' addresses,
 * which the node agent's maps hold) like a rebuild; and nothing reported is unchanged.
 *
 * Some policies are in audit mode (issue 10): sides are rebuilt from the enforced policies alone,
 * and a side's audit structure from the audit policies alone (annotation removed), where no
 * enforced policy isolates it.
 */
import fc from 'fast-check';
import type { ClusterState, NamespaceInfo, PodInfo } from '../state/cluster-state';
import {
  buildPolicyIndex,
  compilePodEgress,
  compilePodIngress,
  evaluateConnection,
  type IndexEvent,
  type IndexReport,
  keyedSide,
  type KeyedSide,
  LiveIndex,
  resolveSide,
  type SelectorSide,
} from './index';
import { AUDIT_ANNOTATION, isAuditPolicy } from '../k8s/audit-mode';
import type { NetworkPolicy } from '../k8s/types';
import { podNamedPorts } from './policy-index';
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
  .tuple(fc.constantFrom(...NAMESPACES), fc.constantFrom('n0', 'n1', 'n2'), specArb, fc.nat(3))
  .map(([ns, name, spec, audit]) => {
    const p = policy(`${ns}/${name}`, spec);
    // One in four in audit mode: an upsert of the same name flips it either way.
    return audit === 0 ? { ...p, metadata: { ...p.metadata, annotations: { [AUDIT_ANNOTATION]: '1h' } } } : p;
  });
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

/** The state with only its enforced policies (`audit` false) or only its audit ones, enforced. */
function policiesIn(state: ClusterState, audit: boolean): ClusterState {
  const strip = (p: NetworkPolicy): NetworkPolicy => ({
    ...p,
    metadata: { namespace: p.metadata.namespace, name: p.metadata.name },
  });
  return { ...state, policies: state.policies.filter((p) => isAuditPolicy(p) === audit).map(strip) };
}

/**
 * Every side of a fresh index of the enforced policies, with each peer pod's address beside its
 * key; and, keyed `... audit`, the audit side: the side under the audit policies alone, where the
 * enforced ones do not isolate it and the audit ones do.
 */
function sides(state: ClusterState): Map<string, string> {
  const index = buildPolicyIndex(policiesIn(state, false));
  const audit = buildPolicyIndex(policiesIn(state, true));
  const pods = new Map(state.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const out = new Map<string, string>();
  for (const p of index.pods) {
    const q = audit.pods[audit.podNumber.get(`${p.namespace}/${p.name}`)!]!;
    const enforced = [compilePodIngress(index, p), compilePodEgress(index, p)];
    const audited = [compilePodIngress(audit, q), compilePodEgress(audit, q)];
    enforced.forEach((side, i) => {
      out.set(`${side.pod} ${side.direction}`, JSON.stringify(withAddresses(keyedSide(index, side), pods)));
      const a = audited[i]!;
      if (a.applies && !side.isolated && a.isolated)
        out.set(
          `${side.pod} ${side.direction} audit`,
          JSON.stringify(withAddresses(keyedSide(audit, a), pods)),
        );
    });
  }
  return out;
}

/** What a consumer of the reports holds: structures, selector members, pods' facts. */
class Consumer {
  readonly structures = new Map<string, SelectorSide>();
  readonly audits = new Map<string, SelectorSide>();
  readonly members = new Map<number, readonly string[]>();
  readonly pods = new Map<string, PodInfo>();

  constructor(live: LiveIndex) {
    for (const p of live.state().pods) {
      const key = `${p.namespace}/${p.name}`;
      this.pods.set(key, p);
      for (const d of ['Ingress', 'Egress'] as const) {
        this.structures.set(`${key} ${d}`, live.structure(key, d));
        const audit = live.auditStructure(key, d);
        if (audit !== undefined) this.audits.set(`${key} ${d}`, audit);
      }
    }
    for (const id of live.selectorIds()) this.members.set(id, live.members(id));
  }

  /** Applies a report, asserting that everything it lists did change. */
  consume(live: LiveIndex, report: IndexReport): void {
    for (const { pod, direction } of report.sides) {
      const key = `${pod} ${direction}`;
      const now = live.has(pod) ? live.structure(pod, direction) : undefined;
      const audit = live.has(pod) ? live.auditStructure(pod, direction) : undefined;
      const before = text(this.structures.get(key)) + text(this.audits.get(key));
      expect({ side: key, same: before === text(now) + text(audit) }).toEqual({ side: key, same: false });
      if (now === undefined) this.structures.delete(key);
      else this.structures.set(key, now);
      if (audit === undefined) this.audits.delete(key);
      else this.audits.set(key, audit);
    }
    for (const { selector, entered, left } of report.selectors) {
      const set = new Set(this.members.get(selector) ?? []);
      for (const pod of left)
        expect({ selector, left: pod, was: set.delete(pod) }).toEqual({ selector, left: pod, was: true });
      for (const pod of entered) {
        expect({ selector, entered: pod, was: set.has(pod) }).toEqual({ selector, entered: pod, was: false });
        set.add(pod);
      }
      this.members.set(selector, [...set].sort());
    }
    for (const id of report.released) this.members.delete(id);
    for (const key of report.pods) {
      const now = live.pod(key);
      expect({ pod: key, same: facts(this.pods.get(key)) === facts(now) }).toEqual({ pod: key, same: false });
      if (now === undefined) this.pods.delete(key);
      else this.pods.set(key, now);
    }
  }

  /** Every side resolved from what this consumer holds, with addresses (as sides() gives them). */
  resolved(): Map<string, string> {
    const view = {
      members: (id: number) => this.members.get(id) ?? [],
      namedPorts: (pod: string) => {
        const p = this.pods.get(pod);
        return p === undefined ? new Map<string, number[]>() : podNamedPorts(p);
      },
    };
    const out = new Map<string, string>();
    for (const [key, structure] of this.structures) {
      out.set(key, JSON.stringify(withAddresses(resolveSide(structure, view), this.pods)));
      const audit = this.audits.get(key);
      if (audit !== undefined)
        out.set(`${key} audit`, JSON.stringify(withAddresses(resolveSide(audit, view), this.pods)));
    }
    return out;
  }
}

function text(side: SelectorSide | undefined): string {
  return JSON.stringify(side) ?? 'none';
}

/** What of a pod resolution and the agent's maps read. */
function facts(p: PodInfo | undefined): string {
  return p === undefined ? 'none' : JSON.stringify([p.ip, p.hostNetwork, [...podNamedPorts(p)]]);
}

function withAddresses(k: KeyedSide, pods: ReadonlyMap<string, PodInfo>): unknown {
  const at = (keys: readonly string[]) => keys.map((key) => `${key}@${pods.get(key)?.ip ?? ''}`);
  return {
    ...k,
    rules: k.rules.map((r) => ({
      ...r,
      peers: r.peers === 'any' ? 'any' : { ...r.peers, pods: at(r.peers.pods) },
      ports:
        r.ports === 'any'
          ? 'any'
          : r.ports.map((x) =>
              x.kind === 'range' ? x : { ...x, byPort: x.byPort.map((e) => ({ ...e, pods: at(e.pods) })) },
            ),
    })),
  };
}

function expectSameAsRebuilt(live: LiveIndex, state: ClusterState): void {
  const index = buildPolicyIndex(policiesIn(state, false));
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
  const whole = buildPolicyIndex(state); // what a rebuild from the state answers
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
          evaluateConnection(whole, s, d, port, protocol),
        );
      }
    }
  }
}

describe('LiveIndex', () => {
  it('answers like an index rebuilt from scratch, and its reports bring a consumer to the same answer', () => {
    fc.assert(
      fc.property(stateArb, fc.array(eventArb, { maxLength: 12 }), (initial, events) => {
        const live = LiveIndex.build(initial);
        let state = initial;
        expectSameAsRebuilt(live, state);
        const consumer = new Consumer(live);
        for (const event of events) {
          const report = live.apply(event);
          state = applyToState(state, event);
          consumer.consume(live, report);
          // Nothing missed: every structure and every selector as the index has them...
          const structures = new Map<string, string>();
          for (const p of state.pods) {
            const key = `${p.namespace}/${p.name}`;
            for (const d of ['Ingress', 'Egress'] as const)
              structures.set(`${key} ${d}`, text(live.structure(key, d)) + text(live.auditStructure(key, d)));
          }
          expect({
            event,
            structures: new Map(
              [...consumer.structures].map(([k, v]) => [k, text(v) + text(consumer.audits.get(k))]),
            ),
          }).toEqual({
            event,
            structures,
          });
          // (a selector without members is reported when it gains some)
          const nonEmpty = (entries: [number, readonly string[]][]) =>
            new Map(entries.filter(([, m]) => m.length > 0));
          expect({ event, members: nonEmpty([...consumer.members]) }).toEqual({
            event,
            members: nonEmpty(live.selectorIds().map((id) => [id, live.members(id)])),
          });
          // ...and every side it resolves, addresses included, as a rebuild's.
          expect({ event, sides: consumer.resolved() }).toEqual({ event, sides: sides(state) });
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
    const added = live.apply({ kind: 'policy-upsert', policy: allow });
    expect(added.sides).toEqual([{ pod: 'a/web', direction: 'Ingress' }]);
    const rule = live.structure('a/web', 'Ingress').rules[0]!;
    const dbSelector = rule.peers === 'any' ? -1 : rule.peers.selectors[0]!;
    // The new selectors come with all their members (app=web selects, app=db admits).
    expect(added.selectors).toContainEqual({ selector: dbSelector, entered: ['a/db'], left: [] });
    expect(live.apply({ kind: 'policy-upsert', policy: allow })).toEqual({
      sides: [],
      selectors: [],
      released: [],
      pods: [],
    });
    // db moves: its address is a fact of db, web's side keeps its structure.
    expect(live.apply({ kind: 'pod-upsert', pod: { ...db, ip: '10.0.0.9' } })).toEqual({
      sides: [],
      selectors: [],
      released: [],
      pods: ['a/db'],
    });
    expect(
      live.apply({ kind: 'pod-upsert', pod: { ...db, labels: { app: 'db', v: '2' }, ip: '10.0.0.9' } }),
    ).toEqual({ sides: [], selectors: [], released: [], pods: [] });
    const deleted = live.apply({ kind: 'policy-delete', namespace: 'a', name: 'web-in' });
    expect(deleted.sides).toEqual([{ pod: 'a/web', direction: 'Ingress' }]);
    expect(deleted.released).toContain(dbSelector);
  });

  describe('audit mode', () => {
    const web = pod('a/web', { labels: { app: 'web' }, ip: '10.0.0.1' });
    const db = pod('a/db', { labels: { app: 'db' }, ip: '10.0.0.2' });
    const audited = (p: NetworkPolicy): NetworkPolicy => ({
      ...p,
      metadata: { ...p.metadata, annotations: { [AUDIT_ANNOTATION]: '1h' } },
    });
    const denyAll = policy('a/deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
    const fromDb = policy('a/web-from-db', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }] }],
    });
    const build = (policies: NetworkPolicy[]) =>
      LiveIndex.build(clusterState({ namespaces: [namespace('a', {})], pods: [web, db], policies }));

    it('leaves an audit-only side open and gives its audit structure: the audit policies, their rules', () => {
      const live = build([audited(denyAll), audited(fromDb)]);
      expect(live.structure('a/web', 'Ingress')).toMatchObject({ isolated: false, policies: [], rules: [] });
      expect(live.compile('a/web', 'Ingress').isolated).toBe(false);
      const audit = live.auditStructure('a/web', 'Ingress')!;
      expect(audit).toMatchObject({ isolated: true, policies: ['a/deny-all', 'a/web-from-db'] });
      expect(resolveSide(audit, live).rules.map((r) => r.peers)).toEqual([{ pods: ['a/db'], ipBlocks: [] }]);
      expect(live.auditStructure('a/db', 'Ingress')).toMatchObject({ policies: ['a/deny-all'], rules: [] });
      // Egress: no policy of either kind.
      expect(live.auditStructure('a/web', 'Egress')).toBeUndefined();
    });

    it('lets an enforced policy win: its rules alone, no audit structure', () => {
      const live = build([denyAll, audited(fromDb)]);
      expect(live.structure('a/web', 'Ingress')).toMatchObject({
        isolated: true,
        policies: ['a/deny-all'],
        rules: [],
      });
      expect(live.auditStructure('a/web', 'Ingress')).toBeUndefined();
      // Its audit policy changing changes nothing there.
      const report = live.apply({ kind: 'policy-delete', namespace: 'a', name: 'web-from-db' });
      expect(report.sides).toEqual([]);
    });

    it('reports the sides an annotation added or removed switches, with nothing else changed', () => {
      const live = build([audited(denyAll)]);
      const enforce = live.apply({ kind: 'policy-upsert', policy: denyAll });
      expect(enforce.sides).toEqual([
        { pod: 'a/db', direction: 'Ingress' },
        { pod: 'a/web', direction: 'Ingress' },
      ]);
      expect(enforce.selectors).toEqual([]);
      expect(live.structure('a/web', 'Ingress')).toMatchObject({ isolated: true, policies: ['a/deny-all'] });
      expect(live.auditStructure('a/web', 'Ingress')).toBeUndefined();
      const back = live.apply({ kind: 'policy-upsert', policy: audited(denyAll) });
      expect(back.sides).toEqual(enforce.sides);
      expect(live.structure('a/web', 'Ingress').isolated).toBe(false);
      expect(live.auditStructure('a/web', 'Ingress')).toMatchObject({ policies: ['a/deny-all'] });
      // Another audit window (the value) is the same audit mode: nothing to rewrite.
      const longer = {
        ...denyAll,
        metadata: { ...denyAll.metadata, annotations: { [AUDIT_ANNOTATION]: '2h' } },
      };
      expect(live.apply({ kind: 'policy-upsert', policy: longer }).sides).toEqual([]);
      const removed = live.apply({ kind: 'policy-delete', namespace: 'a', name: 'deny-all' });
      expect(removed.sides).toEqual(enforce.sides);
      expect(live.auditStructure('a/web', 'Ingress')).toBeUndefined();
    });
  });

  it('reports a pod added elsewhere as deltas of the selectors it matches, not as the sides admitting it', () => {
    const pods = [0, 1, 2].map((i) => pod(`a/web-${i}`, { labels: { app: 'web' }, ip: `10.0.0.${i + 1}` }));
    const live = LiveIndex.build(
      clusterState({
        namespaces: [namespace('a', {}), namespace('b', { team: 'x' })],
        pods: [...pods, pod('b/api', { labels: { app: 'api' }, ip: '10.0.1.1' })],
        policies: [
          policy('a/from-api', {
            podSelector: {},
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'x' } } }] }],
          }),
          policy('a/to-api', {
            podSelector: {},
            egress: [
              {
                to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'api' } } }],
                ports: [{ port: 'http' }],
              },
            ],
          }),
        ],
      }),
    );
    const newApi = pod('b/api-2', {
      labels: { app: 'api' },
      ip: '10.0.1.2',
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    });
    const report = live.apply({ kind: 'pod-upsert', pod: newApi });
    // Its own sides appear; the three web pods' sides keep their structure.
    expect(report.sides).toEqual([
      { pod: 'b/api-2', direction: 'Ingress' },
      { pod: 'b/api-2', direction: 'Egress' },
    ]);
    expect(report.pods).toEqual(['b/api-2']);
    const structure = live.structure('a/web-0', 'Egress').rules[0]!;
    const named = structure.ports === 'any' ? undefined : structure.ports[0];
    const peers = structure.peers === 'any' ? [] : structure.peers.selectors;
    const entered = report.selectors.filter((d) => d.entered.includes('b/api-2')).map((d) => d.selector);
    // The api selector (namespaceSelector {} x app=api), the namespace-b selector, and the pods exposing http.
    expect(entered).toEqual(
      expect.arrayContaining([...peers, named?.kind === 'named' ? named.selector : -1]),
    );
    expect(live.compile('a/web-0', 'Egress').rules[0]!.ports).toEqual([
      { kind: 'named', protocol: 'TCP', name: 'http', byPort: [{ port: 8080, pods: ['b/api-2'] }] },
    ]);
    // A new number for the same name is a fact of the pod, not a delta.
    const moved = live.apply({
      kind: 'pod-upsert',
      pod: { ...newApi, ports: [{ name: 'http', containerPort: 9090, protocol: 'TCP' }] },
    });
    expect(moved).toEqual({ sides: [], selectors: [], released: [], pods: ['b/api-2'] });
    expect(live.compile('a/web-0', 'Egress').rules[0]!.ports).toEqual([
      { kind: 'named', protocol: 'TCP', name: 'http', byPort: [{ port: 9090, pods: ['b/api-2'] }] },
    ]);
  });
});
