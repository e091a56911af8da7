import { clusterState, namespace, pod, policy } from '../../../test/support/cluster-builders';
import { NAMESPACE_NAME_LABEL, type NetworkPolicy } from '../k8s/types';
import { describeEffect } from './describe-effect';

const http = (port: number) => [{ name: 'http', containerPort: port, protocol: 'TCP' as const }];

const PODS = [
  pod('frontend/nginx', { labels: { app: 'nginx' }, ip: '10.0.1.1', ports: http(80) }),
  pod('backend/api-a', { labels: { app: 'api' }, ip: '10.0.2.1', ports: http(8080) }),
  pod('backend/api-b', { labels: { app: 'api' }, ip: '10.0.2.2', ports: http(8080) }),
];
const NAMESPACES = [namespace('frontend', { team: 'web' }), namespace('backend')];

const allowNginxToBackend: NetworkPolicy = policy('backend/netpol-allow-frontend-nginx-to-all-1a2b3c4d', {
  podSelector: {},
  policyTypes: ['Ingress'],
  ingress: [
    {
      from: [
        {
          namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'frontend' } },
          podSelector: { matchLabels: { app: 'nginx' } },
        },
      ],
    },
  ],
});

const denyIngressBackend = policy('backend/default-deny', { podSelector: {} });

describe('describeEffect', () => {
  it('without a state says so and names what the policy selects', () => {
    expect(describeEffect([allowNginxToBackend], undefined)).toBe(
      'cluster state unknown; the policy selects all pods in backend for ingress',
    );
    const egress = policy('frontend/out', { podSelector: { matchLabels: { app: 'nginx' } }, egress: [{}] });
    expect(describeEffect([allowNginxToBackend, egress], undefined)).toBe(
      'cluster state unknown; the policies select all pods in backend for ingress and pods app=nginx in frontend for ingress and egress',
    );
  });

  it('an allow on pods already isolated: who reaches whom, isolated today: yes, nothing stops', () => {
    const state = clusterState({ namespaces: NAMESPACES, pods: PODS, policies: [denyIngressBackend] });
    expect(describeEffect([allowNginxToBackend], state)).toBe(
      'lets 1 pod in frontend reach 2 pods in backend on any port; backend is isolated for ingress today: yes',
    );
  });

  it('an allow on open pods isolates them: isolated today: no, and the connections it cuts', () => {
    const state = clusterState({ namespaces: NAMESPACES, pods: PODS });
    expect(describeEffect([allowNginxToBackend], state)).toBe(
      'lets 1 pod in frontend reach 2 pods in backend on any port; backend is isolated for ingress today: no; ' +
        '2 connections that work today will stop (backend/api-b -> backend/api-a TCP/8080, backend/api-a -> backend/api-b TCP/8080)',
    );
  });

  it('a deny: how many pods it isolates and which connections stop', () => {
    const state = clusterState({ namespaces: NAMESPACES, pods: PODS });
    const effect = describeEffect([denyIngressBackend], state);
    expect(effect).toMatch(
      /^isolates 2 pods in backend for ingress; backend is isolated for ingress today: no; /,
    );
    expect(effect).toContain('4 connections that work today will stop (');
    expect(effect).toContain('frontend/nginx -> backend/api-a TCP/8080');
    expect(effect).toContain('and 1 more');
  });

  it('says partly when some selected pods were isolated', () => {
    const isolateA = policy('backend/only-a', { podSelector: { matchLabels: { app: 'api' } } });
    const state = clusterState({
      namespaces: NAMESPACES,
      pods: [...PODS, pod('backend/db', { labels: { app: 'db' }, ip: '10.0.2.3' })],
      policies: [isolateA],
    });
    expect(describeEffect([denyIngressBackend], state)).toContain(
      'backend is isolated for ingress today: partly (2 of 3 pods)',
    );
  });

  it('replaces a same-named policy instead of adding to it', () => {
    const state = clusterState({ namespaces: NAMESPACES, pods: PODS, policies: [denyIngressBackend] });
    const reopened = policy('backend/default-deny', { podSelector: {}, ingress: [{}] });
    expect(describeEffect([reopened], state)).toBe(
      'lets anything (inside and outside the cluster) reach 2 pods in backend on any port; backend is isolated for ingress today: yes',
    );
  });

  it('reads egress to addresses and selectors matching no pod', () => {
    const state = clusterState({ namespaces: NAMESPACES, pods: PODS, policies: [] });
    const out = policy('backend/db-out', {
      podSelector: { matchLabels: { app: 'api' } },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ ipBlock: { cidr: '192.168.0.0/16', except: ['192.168.1.0/24'] } }],
          ports: [{ port: 5432 }],
        },
        { to: [{ podSelector: { matchLabels: { app: 'ghost' } } }] },
      ],
    });
    const effect = describeEffect([out], state);
    expect(effect).toMatch(
      /^lets 2 pods in backend reach addresses in 192\.168\.0\.0\/16 except 192\.168\.1\.0\/24 on TCP 5432; lets 2 pods in backend reach no pod today on any port; pods app=api in backend are isolated for egress today: no; /,
    );
    expect(effect).toContain('connections that work today will stop');
  });

  it('revoke: what is removed, which pods are released and which connections stop', () => {
    const state = clusterState({
      namespaces: NAMESPACES,
      pods: PODS,
      policies: [denyIngressBackend, allowNginxToBackend],
    });
    expect(describeEffect([allowNginxToBackend], state, { action: 'revoke' })).toBe(
      'removes backend/netpol-allow-frontend-nginx-to-all-1a2b3c4d (selects 2 pods in backend); ' +
        '2 connections that work today will stop (frontend/nginx -> backend/api-a TCP/8080, frontend/nginx -> backend/api-b TCP/8080)',
    );
    expect(describeEffect([denyIngressBackend, allowNginxToBackend], state, { action: 'revoke' })).toContain(
      '2 pods stop being isolated for ingress (backend/api-a, backend/api-b)',
    );
  });

  it('skips the count beyond the probe budget', () => {
    const state = clusterState({ namespaces: NAMESPACES, pods: PODS });
    expect(describeEffect([denyIngressBackend], state, { maxProbes: 1 })).toContain(
      'connections that stop were not counted (3 pods: too many to probe)',
    );
  });
});
