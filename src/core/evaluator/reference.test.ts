/**
 * The indexed evaluator, the matrix and the compiled per-pod sets against a naive model written
 * straight from the NetworkPolicy reference (no index, no bitsets), on random small clusters.
 */
import fc from 'fast-check';
import { ipInCidr } from '../k8s/cidr';
import { selectorMatches } from '../k8s/label-selector';
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, PolicyType, Protocol } from '../k8s/types';
import type { ClusterState, PodInfo } from '../state/cluster-state';
import {
  buildPolicyIndex,
  compiledSideAllows,
  compilePodEgress,
  compilePodIngress,
  computeMatrix,
  evaluateConnection,
  type TrafficEndpoint,
} from './index';
import { clusterState, namespace, pod, policy } from '../../../test/support/cluster-builders';
import { specArbitrary } from '../../../test/support/policy-arbitraries';

type Ep = { pod: PodInfo } | { ip: string };

function naiveAllowed(state: ClusterState, src: Ep, dst: Ep, port: number, protocol: Protocol): boolean {
  if ('pod' in src && 'pod' in dst && src.pod === dst.pod) return true;
  return (
    naiveSide(state, 'Egress', src, dst, port, protocol) &&
    naiveSide(state, 'Ingress', dst, src, port, protocol)
  );
}

function naiveTypes(p: NetworkPolicy): PolicyType[] {
  if (p.spec.policyTypes !== undefined && p.spec.policyTypes.length > 0) return p.spec.policyTypes;
  return p.spec.egress !== undefined && p.spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function naiveSide(
  state: ClusterState,
  dir: PolicyType,
  owner: Ep,
  peer: Ep,
  port: number,
  protocol: Protocol,
) {
  if (!('pod' in owner) || owner.pod.hostNetwork) return true;
  const mine = state.policies.filter(
    (p) =>
      p.metadata.namespace === owner.pod.namespace &&
      selectorMatches(p.spec.podSelector, owner.pod.labels) &&
      naiveTypes(p).includes(dir),
  );
  if (mine.length === 0) return true;
  const dstPod = dir === 'Ingress' ? owner.pod : 'pod' in peer ? peer.pod : undefined;
  return mine.some((p) =>
    (dir === 'Ingress'
      ? (p.spec.ingress ?? []).map((r) => [r.from, r.ports] as const)
      : (p.spec.egress ?? []).map((r) => [r.to, r.ports] as const)
    ).some(
      ([peers, ports]) =>
        naivePeers(state, peers, p.metadata.namespace, peer) && naivePorts(ports, dstPod, port, protocol),
    ),
  );
}

function naivePeers(
  state: ClusterState,
  peers: NetworkPolicyPeer[] | undefined,
  ns: string,
  peer: Ep,
): boolean {
  if (peers === undefined || peers.length === 0) return true;
  return peers.some((pe) => {
    if (pe.ipBlock !== undefined) {
      const ip = 'pod' in peer ? peer.pod.ip : peer.ip;
      const block = pe.ipBlock;
      return (
        ip !== undefined && ipInCidr(ip, block.cidr) && !(block.except ?? []).some((e) => ipInCidr(ip, e))
      );
    }
    if (!('pod' in peer) || peer.pod.hostNetwork) return false;
    const podOk = pe.podSelector === undefined || selectorMatches(pe.podSelector, peer.pod.labels);
    if (pe.namespaceSelector !== undefined) {
      const nsInfo = state.namespaces.find((n) => n.name === peer.pod.namespace)!;
      return selectorMatches(pe.namespaceSelector, nsInfo.labels) && podOk;
    }
    return pe.podSelector !== undefined && peer.pod.namespace === ns && podOk;
  });
}

function naivePorts(
  ports: NetworkPolicyPort[] | undefined,
  dst: PodInfo | undefined,
  port: number,
  protocol: Protocol,
) {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some((pp) => {
    if ((pp.protocol ?? 'TCP') !== protocol) return false;
    if (pp.port === undefined) return true;
    if (typeof pp.port === 'number') return pp.port <= port && port <= (pp.endPort ?? pp.port);
    return (
      dst !== undefined &&
      !dst.hostNetwork &&
      dst.ports.some((c) => c.name === pp.port && c.protocol === protocol && c.containerPort === port)
    );
  });
}

// Random small clusters over a tiny vocabulary, so that selectors, blocks and names collide often.
const NAMESPACES = ['a', 'b', 'c'];
const labelsArb = fc.record(
  { app: fc.constantFrom('x', 'y'), tier: fc.constantFrom('1', '2') },
  { requiredKeys: [] },
);
const specArb = specArbitrary(labelsArb);
const podArb = fc.record({
  ns: fc.constantFrom(...NAMESPACES),
  labels: labelsArb,
  hasIp: fc.boolean(),
  hostNetwork: fc.boolean(),
  http: fc.option(fc.constantFrom(80, 8080)),
  dnsUdp: fc.boolean(),
});
const stateArb = fc
  .record({
    nsLabels: fc.array(labelsArb, { minLength: 3, maxLength: 3 }),
    pods: fc.array(podArb, { minLength: 1, maxLength: 7 }),
    policies: fc.array(fc.tuple(fc.constantFrom(...NAMESPACES), specArb), { maxLength: 5 }),
  })
  .map(({ nsLabels, pods, policies }) =>
    clusterState({
      namespaces: NAMESPACES.map((n, i) => namespace(n, nsLabels[i]!)),
      pods: pods.map((p, i) =>
        pod(`${p.ns}/p${i}`, {
          labels: p.labels,
          hostNetwork: p.hostNetwork,
          ...(p.hasIp ? { ip: p.hostNetwork ? '192.168.0.1' : `10.0.${i % 3}.${i + 1}` } : {}),
          ports: [
            ...(p.http === null ? [] : [{ name: 'http', containerPort: p.http, protocol: 'TCP' as const }]),
            ...(p.dnsUdp ? [{ name: 'dns', containerPort: 80, protocol: 'UDP' as const }] : []),
          ],
        }),
      ),
      policies: policies.map(([ns, spec], i) => policy(`${ns}/np${i}`, spec)),
    }),
  );

const CASES: [number, Protocol][] = [
  [80, 'TCP'],
  [81, 'TCP'],
  [8080, 'TCP'],
  [80, 'UDP'],
];

it('agrees with a naive reading of the API reference on random clusters', () => {
  fc.assert(
    fc.property(stateArb, (state) => {
      const index = buildPolicyIndex(state);
      const eps: [TrafficEndpoint, Ep][] = [
        ...state.pods.map((p): [TrafficEndpoint, Ep] => [{ kind: 'pod', pod: p }, { pod: p }]),
        ...['10.0.1.200', '10.0.2.9', '8.8.8.8'].map((ip): [TrafficEndpoint, Ep] => [
          { kind: 'ip', ip },
          { ip },
        ]),
      ];
      for (const [port, protocol] of CASES) {
        const matrix = computeMatrix(index, { port, protocol });
        for (const [srcT, srcE] of eps) {
          for (const [dstT, dstE] of eps) {
            const expected = naiveAllowed(state, srcE, dstE, port, protocol);
            const v = evaluateConnection(index, srcT, dstT, port, protocol);
            expect(v.allowed).toBe(expected);
            if (srcT.kind === 'pod' && dstT.kind === 'pod') {
              const from = matrix.pods.indexOf(`${srcT.pod.namespace}/${srcT.pod.name}`);
              const to = matrix.pods.indexOf(`${dstT.pod.namespace}/${dstT.pod.name}`);
              expect(matrix.allowed(from, to)).toBe(expected);
              if (!v.self) {
                const eg = compiledSideAllows(index, compilePodEgress(index, srcT.pod), dstT, port, protocol);
                const ing = compiledSideAllows(
                  index,
                  compilePodIngress(index, dstT.pod),
                  srcT,
                  port,
                  protocol,
                );
                expect(eg).toEqual({ allowed: v.egress.allowed, allowedBy: v.egress.allowedBy });
                expect(ing).toEqual({ allowed: v.ingress.allowed, allowedBy: v.ingress.allowedBy });
              }
            }
          }
        }
      }
    }),
    { numRuns: 100, seed: 20240601 },
  );
});
