/**
 * Fixed inputs for the renderers' golden and limit tests: a small cluster, the policies a typical
 * request produces, and request records in every state. Plain data, no behaviour; fixed times so the
 * golden files never change by themselves.
 */
import { clusterState, namespace, pod, policy } from './cluster-builders';
import { NAMESPACE_NAME_LABEL, type NetworkPolicy } from '../../src/core/k8s/types';
import { provenanceMetadata } from '../../src/core/policy/provenance';
import type { AuditEntry, RequestRecord, RequestState } from '../../src/contracts/request-record';
import type { ClusterState } from '../../src/core/state/cluster-state';

export const NOW = '2026-11-22T10:00:00.000Z';
export const CREATED = '2026-11-22T09:58:00.000Z';
export const EXPIRES = '2026-11-23T09:58:00.000Z';
export const DECIDED = '2026-11-22T10:01:00.000Z';
export const APPLIED = '2026-11-22T10:01:07.000Z';

export const REQUESTER = 'U0REQUEST1';
export const APPROVER = 'U0APPROVE2';

const http = (port: number) => [{ name: 'http', containerPort: port, protocol: 'TCP' as const }];

export function allowPolicy(overrides: { requester?: string; approver?: string } = {}): NetworkPolicy {
  const p = policy('backend/netpol-allow-frontend-nginx-to-all-1a2b3c4d', {
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
  const meta = provenanceMetadata('allow frontend/app=nginx to backend/*', {
    requestId: 'r-7k2m9q4x1b8c3d5f',
    requester: overrides.requester ?? REQUESTER,
    ...(overrides.approver === undefined ? {} : { approver: overrides.approver }),
    createdAt: APPLIED,
    cluster: 'prod-eu',
  });
  p.metadata.labels = meta.labels;
  p.metadata.annotations = meta.annotations;
  return p;
}

export const DEFAULT_DENY = policy('backend/default-deny', { podSelector: {} });
export const DB_EGRESS = policy('backend/db-egress', {
  podSelector: { matchLabels: { app: 'api' } },
  policyTypes: ['Egress'],
  egress: [
    { to: [{ ipBlock: { cidr: '10.20.0.0/16', except: ['10.20.9.0/24'] } }], ports: [{ port: 5432 }] },
    {
      to: [
        {
          namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    },
  ],
});

export function cluster(policies: NetworkPolicy[] = [DEFAULT_DENY]): ClusterState {
  return clusterState({
    namespaces: [namespace('frontend', { team: 'web' }), namespace('backend'), namespace('kube-system')],
    pods: [
      pod('frontend/nginx-6d4cf56db6-abcde', { labels: { app: 'nginx' }, ip: '10.0.1.1', ports: http(80) }),
      pod('backend/api-5f7b9c-aaaaa', { labels: { app: 'api' }, ip: '10.0.2.1', ports: http(8080) }),
      pod('backend/api-5f7b9c-bbbbb', { labels: { app: 'api' }, ip: '10.0.2.2', ports: http(8080) }),
      pod('backend/worker-0', { labels: { app: 'worker' }, ip: '10.0.2.3' }),
      pod('backend/node-exporter-x', {
        labels: { app: 'node-exporter' },
        ip: '192.168.0.10',
        hostNetwork: true,
      }),
      pod('kube-system/coredns-1', { labels: { 'k8s-app': 'kube-dns' }, ip: '10.0.0.10' }),
    ],
    policies,
  });
}

export const YAML = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: netpol-allow-frontend-nginx-to-all-1a2b3c4d
  namespace: backend
  labels:
    app.kubernetes.io/managed-by: netpol
    netpol.io/request-id: r-7k2m9q4x1b8c3d5f
  annotations:
    netpol.io/command: allow frontend/app=nginx to backend/*
spec:
  podSelector: {}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: frontend
          podSelector:
            matchLabels:
              app: nginx
`;

export const EFFECT =
  'lets 1 pod in frontend reach 3 pods in backend on any port; backend is isolated for ingress today: yes';

export const WARNINGS = [
  'warning W009_SELECTOR_MATCHES_NOTHING: frontend/app=nginx-old matches no pod today: check the labels (the policy still applies to pods that appear later)',
  'warning W021_BROAD_ALLOW: all on every port re-opens everything for these pods; narrow it with "on tcp/PORT" or a selector',
];

export function record(state: RequestState, overrides: Partial<RequestRecord> = {}): RequestRecord {
  const base: RequestRecord = {
    id: 'r-7k2m9q4x1b8c3d5f',
    cluster: 'prod-eu',
    action: 'apply',
    text: 'allow frontend nginx to backend',
    command: 'allow frontend/app=nginx to backend/*',
    requester: REQUESTER,
    requestChannel: 'C0REQUESTS',
    namespaces: ['backend'],
    policies: [allowPolicy()],
    policyHash: 'f'.repeat(64),
    effect: EFFECT,
    warnings: WARNINGS,
    state,
    createdAt: CREATED,
    expiresAt: EXPIRES,
    approvalChannel: 'C0APPROVAL',
    approvalTs: '1795000000.000100',
  };
  const decided = state !== 'pending-approval' && state !== 'expired';
  if (decided) {
    base.decidedBy = APPROVER;
    base.decidedAt = DECIDED;
  }
  if (state === 'rejected') base.reason = 'please scope it to tcp/8080 <api> & retry';
  if (state === 'applied') base.appliedAt = APPLIED;
  if (state === 'applying') base.attempts = 2;
  if (state === 'failed') {
    base.attempts = 3;
    base.reason =
      'NetworkPolicy.networking.k8s.io "netpol-allow-frontend-nginx-to-all-1a2b3c4d" is invalid: spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33"';
  }
  return { ...base, ...overrides };
}

export const AUDIT: AuditEntry[] = [
  {
    requestId: 'r-7k2m9q4x1b8c3d5f',
    cluster: 'prod-eu',
    at: CREATED,
    actor: REQUESTER,
    action: 'submitted',
    to: 'pending-approval',
    namespaces: ['backend'],
  },
  {
    requestId: 'r-7k2m9q4x1b8c3d5f',
    cluster: 'prod-eu',
    at: '2026-11-22T10:00:30.000Z',
    actor: REQUESTER,
    action: 'refused',
    namespaces: ['backend'],
    detail: 'tried to approve their own request',
  },
  {
    requestId: 'r-7k2m9q4x1b8c3d5f',
    cluster: 'prod-eu',
    at: DECIDED,
    actor: APPROVER,
    action: 'approved',
    from: 'pending-approval',
    to: 'approved',
    namespaces: ['backend'],
  },
  {
    requestId: 'r-7k2m9q4x1b8c3d5f',
    cluster: 'prod-eu',
    at: '2026-11-22T10:01:02.000Z',
    actor: 'worker:prod-eu',
    action: 'apply-started',
    from: 'approved',
    to: 'applying',
    namespaces: ['backend'],
  },
  {
    requestId: 'r-7k2m9q4x1b8c3d5f',
    cluster: 'prod-eu',
    at: APPLIED,
    actor: 'worker:prod-eu',
    action: 'applied',
    from: 'applying',
    to: 'applied',
    namespaces: ['backend'],
  },
  {
    requestId: 'r-0000000000000001',
    cluster: 'prod-eu',
    at: '2026-11-21T08:00:00.000Z',
    actor: 'system',
    action: 'expired',
    from: 'pending-approval',
    to: 'expired',
    namespaces: ['backend'],
    detail: 'no decision within 24 h',
  },
];
