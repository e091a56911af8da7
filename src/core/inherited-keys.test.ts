/**
 * Inherited property names as data (issue 7, defect 3). Every name a plain object inherits
 * (`constructor`, `__proto__`, `toString`, `hasOwnProperty`, ...) is thrown as a namespace name, a
 * label key or value and a pod, workload or Service name at the request grammar (parse, resolve,
 * plan), the state reader and the label selector matcher. Each must treat it as an ordinary string:
 * kept and matched exactly, or refused with one NetpolError naming it; never another exception, never
 * a label dropped or a selector widened.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetpolError } from './errors';
import { buildPolicyIndex, compilePodIngress } from './evaluator';
import { selectorMatches } from './k8s/label-selector';
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelKeyProblem,
  labelValueProblem,
} from './k8s/names';
import {
  NAMESPACE_NAME_LABEL,
  type LabelSelector,
  type LabelSelectorOperator,
  type NetworkPolicy,
} from './k8s/types';
import { parseState } from './state/load-state';
import type { ClusterState, PodInfo, ServiceInfo, WorkloadInfo } from './state/cluster-state';
import { planRequest, type RequestPlan } from './use-cases/plan-request';
import { INHERITED_NAMES, ownEntries } from '../../test/support/inherited-names';

const WORDS = ['frontend', 'backend', 'web', 'x', 'app'];
const aName = fc.constantFrom(...INHERITED_NAMES, ...WORDS);
const anInheritedName = fc.constantFrom(...INHERITED_NAMES);

// ---- Cluster states whose names and labels are drawn from the inherited names ----

interface PodSpec {
  namespace: string;
  name: string;
  labels: [string, string][];
}

const aPod: fc.Arbitrary<PodSpec> = fc.record({
  namespace: aName,
  name: aName,
  labels: fc.array(fc.tuple(aName, aName), { maxLength: 3 }),
});

const aWorkload = fc.record({
  kind: fc.constantFrom('Deployment' as const, 'StatefulSet' as const),
  namespace: aName,
  name: aName,
  labels: fc.array(fc.tuple(aName, aName), { minLength: 1, maxLength: 2 }),
});

const aService = fc.record({
  namespace: aName,
  name: aName,
  labels: fc.array(fc.tuple(aName, aName), { minLength: 1, maxLength: 2 }),
});

/** Built directly (not read from a file), so even names the API would refuse reach the grammar. */
const aState: fc.Arbitrary<ClusterState> = fc
  .record({
    pods: fc.array(aPod, { maxLength: 6 }),
    workloads: fc.array(aWorkload, { maxLength: 3 }),
    services: fc.array(aService, { maxLength: 3 }),
    extraNamespaces: fc.array(aName, { maxLength: 3 }),
  })
  .map(({ pods, workloads, services, extraNamespaces }) => {
    const byKey = new Map<string, PodInfo>();
    pods.forEach((p, i) =>
      byKey.set(`${p.namespace}/${p.name}`, {
        namespace: p.namespace,
        name: p.name,
        labels: ownEntries(p.labels),
        ip: `10.0.0.${i + 1}`,
        hostNetwork: false,
        ports: [],
      }),
    );
    const workloadInfos: WorkloadInfo[] = workloads.map((w) => ({
      kind: w.kind,
      namespace: w.namespace,
      name: w.name,
      selector: { matchLabels: ownEntries(w.labels) },
    }));
    const serviceInfos: ServiceInfo[] = services.map((s) => ({
      namespace: s.namespace,
      name: s.name,
      selector: ownEntries(s.labels),
      ports: [],
    }));
    const names = new Set([
      ...extraNamespaces,
      ...[...byKey.values()].map((p) => p.namespace),
      ...workloadInfos.map((w) => w.namespace),
      ...serviceInfos.map((s) => s.namespace),
    ]);
    return {
      namespaces: [...names].sort().map((name) => ({
        name,
        labels: ownEntries([[NAMESPACE_NAME_LABEL, name]]),
      })),
      pods: [...byKey.values()],
      policies: [],
      workloads: workloadInfos,
      services: serviceInfos,
    };
  });

// ---- Requests naming them ----

type Words = { a: string; b: string; k: string; v: string; w: string };

const TEMPLATES: ((words: Words) => string)[] = [
  ({ a, b, k, v }) => `allow ${a}/${k}=${v} to ${b}`,
  ({ a, b, k, v }) => `allow ${a} to ${b}/${k}=${v} on 80`,
  ({ a, b, w }) => `allow ${a} ${w} to ${b}`,
  ({ a, b, w }) => `allow ${a}/${w} to ${b}/${w}`,
  ({ a, b, w }) => `allow ${a}/deploy/${w} to ${b}`,
  ({ a, b, w }) => `allow ${a}/svc/${w} to ${b}`,
  ({ a, b, w }) => `allow ${a}/pod/${w} to ${b}`,
  ({ a, b, k, v }) => `allow ${a}/${k} in (${v},x) to ${b}`,
  ({ a, b, k }) => `allow ${a}/!${k} to ${b}`,
  ({ a, k, v }) => `allow ns(${k}=${v})/* to ${a}`,
  ({ a }) => `deny ingress in ${a}`,
  ({ a, b, w }) => `deny egress from ${a}/${w} except ${b}`,
  ({ a }) => `isolate ${a}`,
  ({ a, b, w, k, v }) => `can ${a}/${w} reach ${b}/${k}=${v}`,
  ({ a, w }) => `who can reach ${a}/${w}`,
  ({ a, w }) => `what can ${a} ${w} reach`,
];

const aRequest = fc
  .tuple(
    fc.integer({ min: 0, max: TEMPLATES.length - 1 }),
    fc.record({ a: aName, b: aName, k: aName, v: aName, w: aName }),
  )
  .map(([i, words]) => ({ text: TEMPLATES[i]!(words), words }));

/** The plan, or the one NetpolError it was refused with; any other exception fails the property. */
function planOrRefusal(
  text: string,
  state: ClusterState | undefined,
  labelKeys: readonly string[],
): RequestPlan | NetpolError {
  try {
    return planRequest(text, state, { labelKeys });
  } catch (error) {
    if (error instanceof NetpolError) return error;
    throw new Error(`${JSON.stringify(text)} threw ${String(error)}`, { cause: error });
  }
}

/** Every LabelSelector in the policies, wherever it sits. */
function selectorsOf(policies: readonly NetworkPolicy[]): LabelSelector[] {
  const out: LabelSelector[] = [];
  for (const p of policies) {
    out.push(p.spec.podSelector);
    for (const rule of [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])]) {
      const peers = 'from' in rule ? rule.from : 'to' in rule ? rule.to : undefined;
      for (const peer of peers ?? []) {
        if (peer.podSelector !== undefined) out.push(peer.podSelector);
        if (peer.namespaceSelector !== undefined) out.push(peer.namespaceSelector);
      }
    }
  }
  return out;
}

describe('the request grammar, given inherited property names', () => {
  it('plans `allow frontend/constructor=x to backend` against the reference cluster', () => {
    const state = parseState(
      readFileSync(join(__dirname, '../../examples/reference-cluster.yaml'), 'utf8'),
      'reference-cluster.yaml',
    );
    const plan = planOrRefusal('allow frontend/constructor=x to backend', state, ['app']);
    if (plan instanceof NetpolError) throw plan;
    expect(plan.kind).toBe('policies');
    if (plan.kind !== 'policies') return;
    expect(JSON.stringify(plan.policies)).toContain('"matchLabels":{"constructor":"x"}');
    expect(plan.warnings.map((w) => w.code)).toContain('W009_SELECTOR_MATCHES_NOTHING');
  });

  it('answers or refuses with one NetpolError, with or without a cluster state', () => {
    fc.assert(
      fc.property(
        aRequest,
        fc.option(aState, { nil: undefined }),
        fc.array(aName, { minLength: 1, maxLength: 2 }),
        ({ text, words }, state, labelKeys) => {
          const plan = planOrRefusal(text, state, labelKeys);
          if (plan instanceof NetpolError || plan.kind !== 'policies') return;
          for (const selector of selectorsOf(plan.policies)) {
            for (const key of Object.keys(selector.matchLabels ?? {}))
              expect(typeof selector.matchLabels?.[key]).toBe('string');
          }
          // A label written in the request is in the policy, exactly.
          if (text.startsWith(`allow ${words.a}/${words.k}=${words.v} to`))
            expect(JSON.stringify(plan.policies)).toContain(
              `${JSON.stringify(words.k)}:${JSON.stringify(words.v)}`,
            );
        },
      ),
      { numRuns: 3000 },
    );
  });
});

// ---- The label selector matcher ----

/** metav1.LabelSelector semantics over Maps: what selectorMatches must agree with. */
function referenceMatches(
  matchLabels: Map<string, string>,
  expressions: { key: string; operator: LabelSelectorOperator; values: string[] }[],
  labels: Map<string, string>,
): boolean {
  for (const [key, value] of matchLabels) if (labels.get(key) !== value) return false;
  return expressions.every(({ key, operator, values }) => {
    const value = labels.get(key);
    switch (operator) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
    }
  });
}

describe('the label selector matcher, given inherited property names', () => {
  it('matches exactly as a Map would', () => {
    const entries = fc.array(fc.tuple(aName, aName), { maxLength: 3 });
    const expression = fc.record({
      key: aName,
      operator: fc.constantFrom<LabelSelectorOperator>('In', 'NotIn', 'Exists', 'DoesNotExist'),
      values: fc.array(aName, { minLength: 1, maxLength: 2 }),
    });
    fc.assert(
      fc.property(
        entries,
        fc.array(expression, { maxLength: 2 }),
        entries,
        (matchLabels, expressions, labels) => {
          const selector: LabelSelector = {
            matchLabels: ownEntries(matchLabels),
            matchExpressions: expressions.map((e) =>
              e.operator === 'In' || e.operator === 'NotIn' ? e : { key: e.key, operator: e.operator },
            ),
          };
          expect(selectorMatches(selector, ownEntries(labels))).toBe(
            referenceMatches(new Map(matchLabels), expressions, new Map(labels)),
          );
        },
      ),
      { numRuns: 5000 },
    );
  });
});

// ---- The state reader ----

function pod(name: string, namespace: string, labels: Record<string, string>): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'c' }] },
    status: { podIP: '10.0.0.1' },
  };
}

function netpol(podSelector: unknown): unknown {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { podSelector, policyTypes: ['Ingress'] },
  };
}

/** A state file as JSON documents (JSON keeps `__proto__` as an ordinary key, as YAML does). */
function stateFile(objects: unknown[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n---\n');
}

/** The state, or the E_STATE naming `name`; any other outcome fails. */
function readOrRefuse(objects: unknown[], name: string, valid: boolean): ClusterState | undefined {
  try {
    const state = parseState(stateFile(objects), 'state.yaml');
    if (!valid) throw new Error(`"${name}" is not a valid name here, yet the state was read`);
    return state;
  } catch (error) {
    if (!(error instanceof NetpolError)) throw error;
    if (valid) throw error;
    expect(error.code).toBe('E_STATE');
    expect(error.message).toContain(`"${name}"`);
    return undefined;
  }
}

/** The pods the state's one policy selects (isolates for ingress). */
function selectedPods(state: ClusterState): string[] {
  const index = buildPolicyIndex(state);
  return state.pods.filter((p) => compilePodIngress(index, p).isolated).map((p) => p.name);
}

describe('the state reader, given inherited property names', () => {
  it.each(INHERITED_NAMES)('keeps a label keyed %s, or refuses it by name', (name) => {
    const valid = labelKeyProblem(name) === undefined;
    const state = readOrRefuse([pod('a', 'ns', ownEntries([[name, 'x']]))], name, valid);
    if (state === undefined) return;
    const labels = state.pods[0]!.labels;
    expect(Object.keys(labels)).toEqual([name]);
    expect(Object.hasOwn(labels, name) && labels[name]).toBe('x');
    expect(JSON.parse(JSON.stringify(labels))).toEqual(ownEntries([[name, 'x']]));
  });

  it.each(INHERITED_NAMES)('keeps a label valued %s, or refuses it by name', (name) => {
    const valid = labelValueProblem(name) === undefined;
    const state = readOrRefuse([pod('a', 'ns', { app: name })], name, valid);
    if (state !== undefined) expect(state.pods[0]!.labels).toEqual({ app: name });
  });

  it.each(INHERITED_NAMES)(
    'a policy selecting matchLabels {%s: x} selects exactly the pods with that label',
    (name) => {
      const valid = labelKeyProblem(name) === undefined;
      const objects = [netpol({ matchLabels: ownEntries([[name, 'x']]) }), pod('plain', 'ns', { app: 'a' })];
      if (valid) objects.push(pod('labelled', 'ns', ownEntries([[name, 'x']])));
      const state = readOrRefuse(objects, name, valid);
      if (state === undefined) return;
      expect(state.policies[0]!.spec.podSelector.matchLabels).toEqual(ownEntries([[name, 'x']]));
      expect(selectedPods(state)).toEqual(['labelled']);
    },
  );

  it.each(INHERITED_NAMES)('a policy selecting pods with %s=* selects exactly those', (name) => {
    const valid = labelKeyProblem(name) === undefined;
    const objects = [
      netpol({ matchExpressions: [{ key: name, operator: 'Exists' }] }),
      pod('plain', 'ns', { app: 'a' }),
    ];
    if (valid) objects.push(pod('labelled', 'ns', ownEntries([[name, 'y']])));
    const state = readOrRefuse(objects, name, valid);
    if (state !== undefined) expect(selectedPods(state)).toEqual(['labelled']);
  });

  it.each(INHERITED_NAMES)('keeps a namespace named %s, or refuses it by name', (name) => {
    const valid = dns1123LabelProblem(name) === undefined;
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    const state = readOrRefuse([namespace, pod('a', name, {})], name, valid);
    if (state === undefined) return;
    expect(state.namespaces.map((n) => n.name)).toEqual([name]);
    expect(state.namespaces[0]!.labels).toEqual({ [NAMESPACE_NAME_LABEL]: name });
    expect(state.pods.map((p) => p.namespace)).toEqual([name]);
  });

  it.each(INHERITED_NAMES)('keeps pods, workloads and Services named %s, or refuses them', (name) => {
    const valid = dns1123LabelProblem(name) === undefined && dns1123SubdomainProblem(name) === undefined;
    const objects = [
      pod(name, 'ns', { app: 'web' }),
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: 'ns' },
        spec: { selector: { matchLabels: { app: 'web' } } },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'ns' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
    ];
    const state = readOrRefuse(objects, name, valid);
    if (state === undefined) return;
    expect([state.pods[0]!.name, state.workloads[0]!.name, state.services[0]!.name]).toEqual([
      name,
      name,
      name,
    ]);
  });

  it.each(INHERITED_NAMES)('keeps a NetworkPolicy annotation keyed %s', (name) => {
    const policy = netpol({}) as { metadata: Record<string, unknown> };
    policy.metadata.annotations = ownEntries([[name, 'x']]);
    const state = parseState(stateFile([policy]), 'state.yaml');
    expect(JSON.stringify(state.policies[0]!.metadata.annotations)).toBe(
      JSON.stringify(ownEntries([[name, 'x']])),
    );
  });

  it('reads any inherited name anywhere as data: a state or one E_STATE', () => {
    fc.assert(
      fc.property(anInheritedName, anInheritedName, aName, (key, value, namespace) => {
        try {
          const state = parseState(
            stateFile([
              pod('a', namespace, ownEntries([[key, value]])),
              netpol({ matchLabels: { [key]: value } }),
            ]),
          );
          expect(state.pods[0]!.labels[key]).toBe(value);
        } catch (error) {
          if (!(error instanceof NetpolError) || error.code !== 'E_STATE') throw error;
        }
      }),
      { numRuns: 500 },
    );
  });
});
