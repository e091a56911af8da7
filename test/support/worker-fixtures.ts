/**
 * Builders for the workers' tests: NetworkPolicies as netpol's builder makes them, request records,
 * and the steps that take a record to `approved` through the real store. No behaviour of its own.
 */
import type { NetworkPolicy, NetworkPolicySpec } from '../../src/core/k8s/types';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../src/core/policy/provenance';
import { policyHash } from '../../src/contracts/policy-hash';
import { newRequestId } from '../../src/contracts/request-id';
import type { RequestRecord } from '../../src/contracts/request-record';
import { decidedContentOf, type RequestStoreApi } from '../../src/adapters/redis/request-store-api';

export const T0 = Date.parse('2030-01-01T00:00:00.000Z');
export const fixedClock = (): Date => new Date(T0 + 60_000);

export const REQUESTER = 'U0REQUESTER';
export const APPROVER = 'U0APPROVER';
export const APPROVAL_CHANNEL = 'C0APPROVALS';
export const APPROVAL_TS = '1893456000.000100';

export const DEFAULT_SPEC: NetworkPolicySpec = {
  podSelector: { matchLabels: { app: 'db' } },
  policyTypes: ['Ingress'],
  ingress: [
    {
      from: [
        { podSelector: { matchLabels: { app: 'web' } } },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } } },
        { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
      ],
      // Explicit protocols: the API server defaults a missing one to TCP, and tests compare specs.
      ports: [
        { protocol: 'TCP', port: 5432 },
        { protocol: 'TCP', port: 'metrics' },
        { protocol: 'TCP', port: 9000, endPort: 9100 },
      ],
    },
  ],
};

export function managedPolicy(
  namespace: string,
  name: string,
  spec: NetworkPolicySpec = DEFAULT_SPEC,
): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      annotations: { 'netpol.io/command': 'allow web -> db on tcp/5432' },
    },
    spec,
  };
}

export function requestRecord(cluster: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  const policies = overrides.policies ?? [managedPolicy('shop', 'allow-web-to-db')];
  const namespaces = [...new Set(policies.map((p) => p.metadata.namespace))];
  return {
    id: newRequestId(),
    cluster,
    action: 'apply',
    text: 'allow web to db on 5432',
    command: 'allow web -> db on tcp/5432',
    requester: REQUESTER,
    requestChannel: 'C0REQUESTS',
    namespaces,
    policies,
    policyHash: policyHash(policies),
    effect: 'db in shop becomes isolated for ingress; only web may reach it on 5432.',
    warnings: [],
    state: 'pending-approval',
    createdAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + 3_600_000).toISOString(),
    ...overrides,
  };
}

/** Stores the record, records its approval message and approves it, as the bot would. */
export async function approvedRequest(
  store: RequestStoreApi,
  record: RequestRecord,
  options: { approvalMessage?: boolean } = {},
): Promise<RequestRecord> {
  await store.create({ ...record, state: 'pending-approval' });
  if (options.approvalMessage !== false)
    await store.setApprovalMessage(record.id, APPROVAL_CHANNEL, APPROVAL_TS);
  const decided = await store.decide(record.id, {
    approve: true,
    by: APPROVER,
    now: fixedClock().toISOString(),
    content: decidedContentOf(record),
  });
  if (!decided.ok) throw new Error(`approval refused: ${decided.refusal}`);
  return decided.record;
}
