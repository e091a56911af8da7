import { NetpolError } from '../errors';
import { parseRequest } from '../request/parser';
import { isPolicyRequest, type PolicyRequest } from '../request/request';
import { resolveRequest } from '../request/resolve-request';
import { parseState } from '../state/load-state';
import type { ClusterState } from '../state/cluster-state';
import { buildPolicies } from './build-policies';
import { renderPolicies } from './render-policies';

function policyRequest(text: string, state?: ClusterState): PolicyRequest {
  const { request } = resolveRequest(parseRequest(text), state === undefined ? {} : { state });
  if (!isPolicyRequest(request)) throw new Error('not a policy request');
  return request;
}

const CLUSTER = parseState(`
kind: List
items:
  - { kind: Namespace, metadata: { name: frontend } }
  - { kind: Namespace, metadata: { name: backend } }
  - kind: Pod
    metadata: { name: nginx-1, namespace: frontend, labels: { app: nginx } }
    status: { podIP: 10.0.1.1 }
  - kind: Pod
    metadata: { name: api-1, namespace: backend, labels: { app: api } }
    status: { podIP: 10.0.2.1 }
`);

const EGRESS_DENY = parseState(`
kind: NetworkPolicy
metadata: { name: deny-egress, namespace: frontend }
spec: { podSelector: {}, policyTypes: [Egress] }
`).policies;

describe('buildPolicies', () => {
  it('gives the same object for the same request, and a different name for a different one', () => {
    const a = buildPolicies(policyRequest('allow frontend nginx to backend'), {
      command: 'c',
      provenance: { requestId: 'r1' },
    });
    const b = buildPolicies(policyRequest('allow  frontend/app=nginx to backend/*'), {
      command: 'c',
      provenance: { requestId: 'r1' },
    });
    const c = buildPolicies(policyRequest('allow frontend nginx to backend on tcp/80'), {
      command: 'c',
      provenance: { requestId: 'r1' },
    });
    expect(renderPolicies(a, 'yaml')).toEqual(renderPolicies(b, 'yaml'));
    expect(a[0]?.metadata.name).not.toEqual(c[0]?.metadata.name);
  });

  it('names policies readably, within 63 characters, as valid DNS names', () => {
    const [policy] = buildPolicies(policyRequest('allow frontend nginx to backend'), { command: 'c' });
    expect(policy?.metadata.name).toMatch(/^netpol-allow-frontend-nginx-to-backend-[0-9a-f]{8}$/);
    const long = buildPolicies(
      policyRequest(`allow frontend/${'a'.repeat(60)}=${'b'.repeat(60)} to backend/${'c'.repeat(60)}=x`),
      { command: 'c' },
    );
    expect(long[0]?.metadata.name.length).toBeLessThanOrEqual(63);
    expect(long[0]?.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('records provenance in labels and annotations', () => {
    const [policy] = buildPolicies(policyRequest('deny ingress in backend'), {
      command: 'deny ingress in backend',
      provenance: {
        requestId: 'req-42',
        requester: 'U111',
        approver: 'U222',
        createdAt: '2026-11-22T10:00:00Z',
      },
    });
    expect(policy?.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'netpol',
      'netpol.io/request-id': 'req-42',
    });
    expect(policy?.metadata.annotations).toEqual({
      'netpol.io/command': 'deny ingress in backend',
      'netpol.io/request-id': 'req-42',
      'netpol.io/requester': 'U111',
      'netpol.io/approver': 'U222',
      'netpol.io/created-at': '2026-11-22T10:00:00Z',
    });
  });

  it('adds the egress policy on the source side when the source is egress-isolated', () => {
    const open = buildPolicies(policyRequest('allow frontend nginx to backend', CLUSTER), {
      command: 'c',
      state: CLUSTER,
    });
    expect(open.map((p) => `${p.metadata.namespace} ${p.spec.policyTypes?.join()}`)).toEqual([
      'backend Ingress',
    ]);

    const isolated = { ...CLUSTER, policies: EGRESS_DENY };
    const both = buildPolicies(policyRequest('allow frontend nginx to backend', isolated), {
      command: 'c',
      state: isolated,
    });
    expect(both.map((p) => `${p.metadata.namespace} ${p.spec.policyTypes?.join()}`)).toEqual([
      'backend Ingress',
      'frontend Egress',
    ]);
    expect(both[1]?.spec).toEqual({
      podSelector: { matchLabels: { app: 'nginx' } },
      policyTypes: ['Egress'],
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'backend' } } }] },
      ],
    });
  });

  it('refuses to overwrite a policy it does not own', () => {
    const [ours] = buildPolicies(policyRequest('deny ingress in backend'), { command: 'c' });
    const theirs = { ...ours!, metadata: { name: ours!.metadata.name, namespace: 'backend' } };
    const state = { ...CLUSTER, policies: [theirs] };
    expect(() => buildPolicies(policyRequest('deny ingress in backend'), { command: 'c', state })).toThrow(
      expect.objectContaining({ code: 'E_NOT_OWNED' }),
    );
    const managed = { ...CLUSTER, policies: [ours!] };
    expect(
      buildPolicies(policyRequest('deny ingress in backend'), { command: 'c', state: managed }),
    ).toHaveLength(1);
  });

  it.each([
    ['10.0.0.0/8 to 192.168.0.0/16', 'neither side is pods'],
    ['*/app=a to 10.0.0.0/8', 'source must then be pods of one namespace'],
    ['10.0.0.0/8 to */app=a', 'destination spans namespaces'],
  ])('explains why "allow %s" cannot be a NetworkPolicy', (text, fragment) => {
    let error: unknown;
    try {
      buildPolicies(policyRequest(`allow ${text}`), { command: 'c' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NetpolError);
    expect((error as NetpolError).code).toBe('E_UNSUPPORTED');
    expect((error as NetpolError).message).toContain(fragment);
  });
});
