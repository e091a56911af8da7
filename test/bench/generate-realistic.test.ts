/**
 * The scale benchmark's realistic generator at small sizes: its state, written as the JSON file the
 * benchmark hands the CLI, is one parseState accepts whole (every pod IP and CIDR valid), it has
 * exactly the pods asked for, about one policy per five pods, a long tail of namespace sizes,
 * pods sharing deployment labels, and the same output for the same seed. Also the worst-case
 * generator's state (policies = pods) parses, past 254 namespaces too.
 */
import { generateRealistic } from '../../bench/generate-realistic';
import { generateState } from '../../bench/generate-state';
import { stateFileJson } from '../../bench/state-file';
import { ipProblem } from '../../src/core/k8s/cidr';
import { parseState } from '../../src/core/state/load-state';

describe('generateRealistic', () => {
  it.each([200, 1000, 5000])('gives a valid state of %i pods, about one policy per five', (pods) => {
    const state = generateRealistic({ seed: 7, pods });
    const parsed = parseState(stateFileJson(state), 'generated');

    expect(parsed.pods).toHaveLength(pods);
    expect(parsed.policies).toHaveLength(state.policies.length);
    expect(parsed.namespaces).toHaveLength(state.namespaces.length);
    const ratio = parsed.pods.length / parsed.policies.length;
    expect(ratio).toBeGreaterThan(4);
    expect(ratio).toBeLessThan(6);

    const ips = parsed.pods.filter((p) => !p.hostNetwork && p.ip !== undefined).map((p) => p.ip!);
    expect(ips.filter((ip) => ipProblem(ip) !== undefined)).toEqual([]);
    expect(new Set(ips).size).toBe(ips.length);
    expect(ips.length).toBeGreaterThan(pods * 0.95);
  });

  it('has a long tail of namespace sizes and deployments whose pods share labels', () => {
    const state = generateRealistic({ seed: 7, pods: 5000 });
    const sizes = new Map<string, number>();
    for (const p of state.pods) sizes.set(p.namespace, (sizes.get(p.namespace) ?? 0) + 1);
    const sorted = [...sizes.values()].sort((a, b) => b - a);
    expect(sorted[0]!).toBeGreaterThan(10 * sorted[sorted.length >> 1]!);

    const replicas = new Map<string, number>();
    for (const p of state.pods) {
      expect(Object.keys(p.labels).sort()).toEqual(['app', 'pod-template-hash', 'tier', 'version']);
      const key = `${p.namespace}/${p.labels['pod-template-hash']}`;
      replicas.set(key, (replicas.get(key) ?? 0) + 1);
    }
    expect(Math.max(...replicas.values())).toBeGreaterThan(5);

    const shapes = state.policies.map((p) => JSON.stringify(p.spec));
    expect(shapes.some((s) => s.includes('"except"'))).toBe(true);
    expect(shapes.some((s) => s.includes('"namespaceSelector"'))).toBe(true);
    expect(shapes.some((s) => s.includes('"port":"metrics"'))).toBe(true);
    expect(state.policies.filter((p) => p.metadata.name === 'default-deny')).toHaveLength(
      state.namespaces.length - 3,
    );
  });

  it('is deterministic for a seed', () => {
    expect(stateFileJson(generateRealistic({ seed: 3, pods: 500 }))).toBe(
      stateFileJson(generateRealistic({ seed: 3, pods: 500 })),
    );
  });
});

describe('generateState (the worst case: policies = pods, 20 pods a namespace)', () => {
  it.each([1000, 6000])('gives a state of %i pods that parseState accepts', (pods) => {
    const state = generateState({ seed: 42, namespaces: pods / 20, pods, policies: pods });
    const parsed = parseState(stateFileJson(state), 'generated');
    expect(parsed.pods).toHaveLength(pods);
    expect(parsed.policies).toHaveLength(pods);
  });
});
