/**
 * fast-check arbitraries for NetworkPolicy specs over a small vocabulary, so that selectors,
 * ipBlocks, ports and names collide often: shared by the evaluator's property tests (the naive
 * API-reference reading and the incremental index). Each test brings its own label vocabulary.
 */
import fc from 'fast-check';
import { ipInCidr } from '../../src/core/k8s/cidr';
import type {
  Labels,
  LabelSelector,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicySpec,
  PolicyType,
  Protocol,
} from '../../src/core/k8s/types';

export function selectorArbitrary(labels: fc.Arbitrary<Labels>): fc.Arbitrary<LabelSelector> {
  return fc.oneof(
    fc.constant({}),
    labels.map((matchLabels) => ({ matchLabels })),
    fc
      .record({
        key: fc.constantFrom('app', 'tier', 'team'),
        operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist' as const),
        values: fc.subarray(['x', 'y', '1', 'red']),
      })
      .map((e) => ({
        matchExpressions: [
          e.operator === 'In' || e.operator === 'NotIn' ? e : { key: e.key, operator: e.operator },
        ],
      })),
  );
}

export function peerArbitrary(selector: fc.Arbitrary<LabelSelector>): fc.Arbitrary<NetworkPolicyPeer> {
  return fc.oneof(
    selector.map((podSelector) => ({ podSelector })),
    selector.map((namespaceSelector) => ({ namespaceSelector })),
    fc
      .tuple(selector, selector)
      .map(([namespaceSelector, podSelector]) => ({ namespaceSelector, podSelector })),
    fc
      .record({
        cidr: fc.constantFrom('10.0.0.0/16', '10.0.1.0/24', '0.0.0.0/0', '192.168.0.0/24'),
        except: fc.subarray(['10.0.1.2/32', '10.0.2.0/24']),
      })
      .map((b) => ({
        ipBlock: { cidr: b.cidr, except: b.except.filter((e) => ipInCidr(e.split('/')[0]!, b.cidr)) },
      })),
  );
}

/** Numbers (sometimes a range of two, endPort) and names, TCP or UDP, any field possibly absent. */
export const portArbitrary: fc.Arbitrary<NetworkPolicyPort> = fc
  .record(
    {
      protocol: fc.constantFrom<Protocol>('TCP', 'UDP'),
      port: fc.constantFrom<number | string>(80, 8080, 'http', 'dns'),
    },
    { requiredKeys: [] },
  )
  .chain((p) =>
    typeof p.port === 'number'
      ? fc.boolean().map((range) => (range ? { ...p, endPort: (p.port as number) + 1 } : p))
      : fc.constant(p),
  );

export function specArbitrary(labels: fc.Arbitrary<Labels>): fc.Arbitrary<NetworkPolicySpec> {
  const selector = selectorArbitrary(labels);
  const peers = fc.option(fc.array(peerArbitrary(selector), { maxLength: 2 }), { nil: undefined });
  const ports = fc.option(fc.array(portArbitrary, { maxLength: 2 }), { nil: undefined });
  return fc.record(
    {
      podSelector: selector,
      policyTypes: fc.constantFrom<PolicyType[]>([], ['Ingress'], ['Egress'], ['Ingress', 'Egress']),
      ingress: fc.array(fc.record({ from: peers, ports }, { requiredKeys: [] }), { maxLength: 2 }),
      egress: fc.array(fc.record({ to: peers, ports }, { requiredKeys: [] }), { maxLength: 2 }),
    },
    { requiredKeys: ['podSelector'] },
  );
}
