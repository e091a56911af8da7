import type { NetworkPolicy } from '../core/k8s/types';
import { renderPolicies } from '../core/policy/render-policies';
import { RequestYaml } from './request-yaml';

function policy(name: string): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'backend' },
    spec: { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], ingress: [] },
  };
}

/** A RequestYaml whose renderer counts its calls. */
function counting(capacity?: number): { yaml: RequestYaml; renders: () => number } {
  let renders = 0;
  const yaml = new RequestYaml({
    render: (policies) => {
      renders += 1;
      return renderPolicies(policies, 'yaml');
    },
    ...(capacity === undefined ? {} : { capacity }),
  });
  return { yaml, renders: () => renders };
}

/** The policies as a store hands them back: parsed from their stored JSON. */
const stored = (policies: NetworkPolicy[]): NetworkPolicy[] => JSON.parse(JSON.stringify(policies));

describe('RequestYaml', () => {
  it('shows a text it rendered for exactly these policies without rendering them again', () => {
    const { yaml, renders } = counting();
    const policies = [policy('a')];
    const text = yaml.render(policies);
    expect(text).toBe(renderPolicies(policies, 'yaml'));
    expect(yaml.resolve({ policies: stored(policies), yaml: text })).toEqual({ yaml: text, stored: 'shown' });
    expect(yaml.of({ policies: stored(policies), yaml: text })).toBe(text);
    expect(renders()).toBe(1);
  });

  it('shows the rendering of the policies, not an altered stored text', () => {
    const { yaml, renders } = counting();
    const policies = [policy('a')];
    const text = yaml.render(policies);
    const altered = text.replace('app: api', 'app: anything');
    expect(yaml.resolve({ policies, yaml: altered })).toEqual({ yaml: text, stored: 'altered' });
    expect(renders()).toBe(2);
  });

  it('shows the rendering of the policies when they changed under an unchanged text', () => {
    const { yaml } = counting();
    const text = yaml.render([policy('a')]);
    const widened: NetworkPolicy[] = [
      { ...policy('a'), spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] } },
    ];
    expect(yaml.of({ policies: widened, yaml: text })).toBe(renderPolicies(widened, 'yaml'));
  });

  it('binds a text to the exact policies, key order included (the YAML follows it)', () => {
    const { yaml } = counting();
    const policies = [policy('a')];
    const text = yaml.render(policies);
    const { spec, metadata, kind, apiVersion } = policies[0]!;
    const reordered = [{ spec, metadata, kind, apiVersion }] as NetworkPolicy[];
    expect(yaml.resolve({ policies: reordered, yaml: text })).toEqual({
      yaml: renderPolicies(reordered, 'yaml'),
      stored: 'altered',
    });
  });

  it('renders a record it never rendered (another process, an old record) and then knows it', () => {
    const { yaml, renders } = counting();
    const policies = [policy('a')];
    const elsewhere = renderPolicies(policies, 'yaml');
    expect(yaml.resolve({ policies, yaml: elsewhere })).toEqual({ yaml: elsewhere, stored: 'same' });
    expect(yaml.resolve({ policies })).toEqual({ yaml: elsewhere, stored: 'absent' });
    expect(yaml.resolve({ policies, yaml: elsewhere }).stored).toBe('shown');
    expect(renders()).toBe(2);
  });

  it('forgets the oldest renderings past its capacity', () => {
    const { yaml, renders } = counting(2);
    const texts = ['a', 'b', 'c'].map((name) => ({
      policies: [policy(name)],
      yaml: yaml.render([policy(name)]),
    }));
    expect(yaml.resolve(texts[2]!).stored).toBe('shown');
    expect(yaml.resolve(texts[1]!).stored).toBe('shown');
    expect(yaml.resolve(texts[0]!).stored).toBe('same');
    expect(renders()).toBe(4);
  });
});
