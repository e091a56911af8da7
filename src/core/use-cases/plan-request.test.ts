import { MANAGED_BY_LABEL } from '../policy/provenance';
import { parseRequest } from '../request/parser';
import { parseState } from '../state/load-state';
import { netpolErrorOf } from '../../../test/support/netpol-error';
import { planRequest, type RequestPlan } from './plan-request';

const STATE = parseState(`
kind: List
items:
  - { kind: Namespace, metadata: { name: frontend } }
  - { kind: Namespace, metadata: { name: backend } }
  - kind: Pod
    metadata: { name: web-0, namespace: frontend, labels: { component: web } }
    status: { podIP: 10.1.0.5 }
  - kind: Pod
    metadata: { name: api-0, namespace: backend, labels: { app: api } }
    status: { podIP: 10.1.0.6 }
  - kind: NetworkPolicy
    apiVersion: networking.k8s.io/v1
    metadata: { name: only-frontend, namespace: backend }
    spec:
      podSelector: { matchLabels: { app: api } }
      policyTypes: [Ingress]
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: frontend } } }] }]
`);

function policiesOf(plan: RequestPlan) {
  if (plan.kind !== 'policies') throw new Error(`expected policies, got ${plan.kind}`);
  return plan;
}

describe('planRequest', () => {
  it('turns a change into its canonical form, the resolutions, the policies and the warnings', () => {
    const plan = policiesOf(planRequest('allow frontend web to backend api on 8080', STATE));
    expect(plan.command).toBe('allow frontend/app=web to backend/app=api on tcp/8080');
    expect(plan.notes).toEqual([
      'frontend web -> app=web (no workload, Service or labelled pod is called "web")',
      'backend api -> app=api (1 pod carries that label)',
    ]);
    expect(plan.policies).toHaveLength(1);
    expect(plan.policies[0]?.metadata.namespace).toBe('backend');
    expect(plan.policies[0]?.metadata.labels?.[MANAGED_BY_LABEL]).toBe('netpol');
    expect(plan.warnings.map((w) => w.code)).toContain('W009_SELECTOR_MATCHES_NOTHING');
  });

  it('reads bare words under the configured label keys', () => {
    const plan = policiesOf(
      planRequest('allow frontend web to backend api', STATE, { labelKeys: ['component', 'app'] }),
    );
    expect(plan.command).toBe('allow frontend/component=web to backend/app=api on any');
    expect(plan.warnings.map((w) => w.code)).not.toContain('W009_SELECTOR_MATCHES_NOTHING');
  });

  it('writes the configured keywords into the policies', () => {
    const plan = policiesOf(
      planRequest('deny egress in backend except dns', STATE, {
        keywords: {
          clusterCidrs: ['10.0.0.0/8'],
          dns: { namespace: 'dns-system', podLabels: { 'k8s-app': 'coredns' }, port: 5353 },
        },
      }),
    );
    expect(plan.policies[0]?.spec.egress?.[0]?.ports).toEqual([
      { protocol: 'UDP', port: 5353 },
      { protocol: 'TCP', port: 5353 },
    ]);
  });

  it('stamps the provenance it is given', () => {
    const plan = policiesOf(
      planRequest('deny ingress in backend', STATE, {
        provenance: { requestId: 'r-abcdefghijklmnop', requester: 'U012AB3CD', cluster: 'prod' },
      }),
    );
    expect(plan.policies[0]?.metadata.annotations).toMatchObject({
      'netpol.io/request-id': 'r-abcdefghijklmnop',
      'netpol.io/requester': 'U012AB3CD',
      'netpol.io/cluster': 'prod',
    });
  });

  it('plans without a cluster state: words become app=<word>, no warnings', () => {
    const plan = policiesOf(planRequest('deny ingress in backend', undefined));
    expect(plan.command).toBe('deny ingress in backend');
    expect(plan.warnings).toEqual([]);
  });

  it('answers a question from the state', () => {
    const plan = planRequest('can frontend/pod/web-0 reach backend/pod/api-0 on 80', STATE);
    expect(plan.kind).toBe('answer');
    if (plan.kind !== 'answer') return;
    expect(plan.answer).toContain('ALLOWED');
    expect(plan.answer).toContain('only-frontend');
  });

  it('refuses a question without the state, with the caller’s hint', () => {
    const error = netpolErrorOf(() =>
      planRequest('can frontend/pod/web-0 reach backend/pod/api-0', undefined, {
        stateHint: 'add --state FILE',
      }),
    );
    expect(error.code).toBe('E_USAGE');
    expect(error.toLine()).toContain('needs the cluster state');
    expect(error.toLine()).toContain('add --state FILE');
  });

  it('passes help through, and takes an already parsed request', () => {
    expect(planRequest('help ports', undefined)).toEqual({ kind: 'help', topic: 'ports' });
    const parsed = parseRequest('deny ingress in backend');
    expect(policiesOf(planRequest(parsed, STATE)).command).toBe('deny ingress in backend');
  });

  it('refuses what the resolver refuses, as a NetpolError', () => {
    expect(netpolErrorOf(() => planRequest('allow frontend/* to backnd', STATE)).code).toBe(
      'E_UNKNOWN_NAMESPACE',
    );
  });
});
