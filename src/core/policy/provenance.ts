/**
 * The labels and annotations netpol writes on every policy it owns, and the test of ownership: netpol
 * never overwrites or widens a policy that does not carry its managed-by label.
 */
import { AUDIT_ANNOTATION } from '../k8s/audit-mode';
import type { NetworkPolicy } from '../k8s/types';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'netpol';
export const REQUEST_ID_LABEL = 'netpol.io/request-id';

export const ANNOTATIONS = Object.freeze({
  command: 'netpol.io/command',
  requestId: 'netpol.io/request-id',
  requester: 'netpol.io/requester',
  approver: 'netpol.io/approver',
  createdAt: 'netpol.io/created-at',
  cluster: 'netpol.io/cluster',
  /** Audit mode (issue 10): present on the policies of a `--audit WINDOW` request; see audit-policies.ts. */
  audit: AUDIT_ANNOTATION,
});

export interface Provenance {
  requestId?: string;
  /** Slack user IDs, never display names. */
  requester?: string;
  approver?: string;
  /** ISO-8601; passed in, never read from a clock here, so the same inputs give the same object. */
  createdAt?: string;
  cluster?: string;
}

export function isManagedByNetpol(policy: NetworkPolicy): boolean {
  return policy.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

export function provenanceMetadata(
  command: string,
  provenance: Provenance,
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
  if (provenance.requestId !== undefined) labels[REQUEST_ID_LABEL] = provenance.requestId;
  const annotations: Record<string, string> = { [ANNOTATIONS.command]: command };
  const optional: [keyof typeof ANNOTATIONS, string | undefined][] = [
    ['requestId', provenance.requestId],
    ['requester', provenance.requester],
    ['approver', provenance.approver],
    ['createdAt', provenance.createdAt],
    ['cluster', provenance.cluster],
  ];
  for (const [key, value] of optional) if (value !== undefined) annotations[ANNOTATIONS[key]] = value;
  return { labels, annotations };
}
