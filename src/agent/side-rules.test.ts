import { IDENTITY } from '../adapters/bpf/abi';
import type { SelectorSide } from '../core/evaluator';
import { type PeerClassView, sideRules, type SideRuleLookups } from './side-rules';

// Selectors: 1 = app=web, 2 = app=db, 3 = the ipBlock 10.0.0.0/8, 4 = pods exposing TCP/sql.
const WEB: PeerClassView = { identity: 300, selectors: [1], numbers: new Map() };
const DB: PeerClassView = { identity: 302, selectors: [2, 3, 4], numbers: new Map([[4, [5432]]]) };
const OTHER_SQL: PeerClassView = { identity: 303, selectors: [4], numbers: new Map([[4, [5432, 5433]]]) };
const CLASSES = [WEB, DB, OTHER_SQL];
const lookups: SideRuleLookups = {
  classesIn: (selector) => CLASSES.filter((c) => c.selectors.includes(selector)),
  blockIdentities: (block) => (block.cidr === '10.0.0.0/8' ? [500, 501] : []),
};
const ref = { policy: 'web/p', direction: 'Ingress' as const, ruleIndex: 0 };
const block = { cidr: '10.0.0.0/8', except: [], parsed: undefined as never };

function side(rules: SelectorSide['rules'], isolated = true): SelectorSide {
  return { direction: 'Ingress', pod: 'web/a', applies: true, isolated, policies: ['web/p'], rules };
}

test('an open side has no rules', () => {
  expect(sideRules(side([], false), lookups)).toEqual([]);
});

test('peer selectors and port ranges become class identity x range rules', () => {
  const rules = sideRules(
    side([
      {
        ref,
        peers: { selectors: [1], ipBlocks: [] },
        ports: [{ kind: 'range', protocol: 'TCP', from: 80, to: 80 }],
      },
    ]),
    lookups,
  );
  expect(rules).toEqual([{ identity: 300, protocol: 'TCP', port: 80, endPort: 80 }]);
});

test('an ipBlock gives its refined prefixes and the classes of the pods inside it', () => {
  const rules = sideRules(
    side([{ ref, peers: { selectors: [], ipBlocks: [{ selector: 3, block }] }, ports: 'any' }]),
    lookups,
  );
  expect(rules.map((r) => r.identity).sort()).toEqual([302, 500, 501]);
});

test("'any' peers are IDENTITY.ANY; egress named ports resolve per admitted destination class", () => {
  expect(sideRules(side([{ ref, peers: 'any', ports: 'any' }]), lookups)).toEqual([
    { identity: IDENTITY.ANY },
  ]);
  const named = { kind: 'named' as const, protocol: 'TCP' as const, name: 'sql', selector: 4 };
  // Peers app=db: only db's class, with its own number.
  expect(
    sideRules(side([{ ref, peers: { selectors: [2], ipBlocks: [] }, ports: [named] }]), lookups),
  ).toEqual([{ identity: 302, protocol: 'TCP', port: 5432 }]);
  // Any peer: every class exposing the name, each with its numbers.
  expect(sideRules(side([{ ref, peers: 'any', ports: [named] }]), lookups)).toEqual([
    { identity: 302, protocol: 'TCP', port: 5432 },
    { identity: 303, protocol: 'TCP', port: 5432 },
    { identity: 303, protocol: 'TCP', port: 5433 },
  ]);
});
