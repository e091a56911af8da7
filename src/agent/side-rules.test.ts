import { IDENTITY } from '../adapters/bpf/abi';
import type { KeyedSide } from '../core/evaluator';
import { sideRules, type SideRuleLookups } from './side-rules';

const IDS: Record<string, number> = { 'web/a': 300, 'web/b': 301, 'db/c': 302 };
const lookups: SideRuleLookups = {
  podIdentity: (pod) => IDS[pod],
  blockIdentities: (block) => (block.cidr === '10.0.0.0/8' ? [500, 501] : []),
  podsInBlock: (block) => (block.cidr === '10.0.0.0/8' ? ['db/c'] : []),
};
const ref = { policy: 'web/p', direction: 'Ingress' as const, ruleIndex: 0 };

function side(rules: KeyedSide['rules'], isolated = true): KeyedSide {
  return { direction: 'Ingress', pod: 'web/a', applies: true, isolated, policies: ['web/p'], rules };
}

test('an open side has no rules', () => {
  expect(sideRules(side([], false), lookups)).toEqual([]);
});

test('peer pods and port ranges become identity x range rules', () => {
  const rules = sideRules(
    side([
      {
        ref,
        peers: { pods: ['web/b'], ipBlocks: [] },
        ports: [{ kind: 'range', protocol: 'TCP', from: 80, to: 80 }],
      },
    ]),
    lookups,
  );
  expect(rules).toEqual([{ identity: 301, protocol: 'TCP', port: 80, endPort: 80 }]);
});

test('an ipBlock gives its refined prefixes and the pods inside it', () => {
  const rules = sideRules(
    side([
      { ref, peers: { pods: [], ipBlocks: [{ cidr: '10.0.0.0/8', except: [] } as never] }, ports: 'any' },
    ]),
    lookups,
  );
  expect(rules.map((r) => r.identity).sort()).toEqual([302, 500, 501]);
});

test("'any' peers are IDENTITY.ANY; egress named ports resolve per destination pod", () => {
  expect(sideRules(side([{ ref, peers: 'any', ports: 'any' }]), lookups)).toEqual([
    { identity: IDENTITY.ANY },
  ]);
  const rules = sideRules(
    side([
      {
        ref,
        peers: { pods: ['db/c'], ipBlocks: [] },
        ports: [
          {
            kind: 'named',
            protocol: 'TCP',
            name: 'sql',
            byPort: [
              { port: 5432, pods: ['db/c', 'web/b'] },
              { port: 5433, pods: ['web/b'] },
            ],
          },
        ],
      },
    ]),
    lookups,
  );
  expect(rules).toEqual([{ identity: 302, protocol: 'TCP', port: 5432 }]);
});
