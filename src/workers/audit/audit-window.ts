/**
 * Which of a request's policies are in audit mode (issue 10) and when its report is due: the one
 * reading of a request record that the apply processor (scheduling) and the report processor
 * (reporting) share. Pure: the caller passes the applied time.
 */
import { auditModeOf } from '../../core/k8s/audit-mode';
import type { NetworkPolicy } from '../../core/k8s/types';
import type { RequestRecord } from '../../contracts/request-record';

/** `namespace/name`, as agents name audit policies in observed flows (auditPolicies). */
export function policyKey(policy: Pick<NetworkPolicy, 'metadata'>): string {
  return `${policy.metadata.namespace}/${policy.metadata.name}`;
}

/** The request's policies that carry the audit annotation (none for a revoke: it deletes them). */
export function auditPoliciesOf(record: Pick<RequestRecord, 'action' | 'policies'>): NetworkPolicy[] {
  if (record.action !== 'apply') return [];
  return record.policies.filter((policy) => auditModeOf(policy.metadata.annotations) !== undefined);
}

export type AuditReportDue =
  /** No audit policy: no report. */
  | { kind: 'none' }
  /** Some audit window is not a duration (a hand-written value): audit mode, but no report is due. */
  | { kind: 'not-a-duration'; windows: string[] }
  /** The report is due `windowMs` after the apply; `window` as written ("1h"). */
  | { kind: 'due'; window: string; windowMs: number };

/**
 * The request's audit window: the longest of its audit policies' windows (the planner writes the
 * same on each), so the report waits until every policy has been audited for the window it asked for.
 */
export function auditReportDue(record: Pick<RequestRecord, 'action' | 'policies'>): AuditReportDue {
  const modes = auditPoliciesOf(record).map((policy) => auditModeOf(policy.metadata.annotations)!);
  if (modes.length === 0) return { kind: 'none' };
  const invalid = modes.filter((mode) => mode.windowMs === undefined).map((mode) => mode.window);
  if (invalid.length > 0) return { kind: 'not-a-duration', windows: [...new Set(invalid)] };
  const longest = modes.reduce((a, b) => ((b.windowMs as number) > (a.windowMs as number) ? b : a));
  return { kind: 'due', window: longest.window, windowMs: longest.windowMs as number };
}

/**
 * When the request's audit began, as its report counts it: the approval, since agents may see
 * traffic as soon as the first policy is written, before the request is marked applied; nothing
 * names these policies before they were approved.
 */
export function auditStart(record: Pick<RequestRecord, 'decidedAt' | 'appliedAt'>): string | undefined {
  return record.decidedAt ?? record.appliedAt;
}
