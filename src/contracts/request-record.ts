/**
 * A policy change request as stored in Redis, from submission to its end, and its audit entries.
 * Shared by the bot (creates, decides), the workers (apply, revoke) and the renderers. The record
 * holds the exact objects that were shown to the approver and their hash: an approval covers
 * exactly those, and the worker refuses anything whose hash differs.
 */
import type { NetworkPolicy } from '../core/k8s/types';

export type RequestState =
  'pending-approval' | 'approved' | 'applying' | 'applied' | 'rejected' | 'expired' | 'failed';

/** States a request never leaves. */
export const FINAL_STATES: readonly RequestState[] = ['applied', 'rejected', 'expired', 'failed'];

/** apply: server-side apply `policies`; revoke: delete them (only ever policies netpol manages). */
export type RequestAction = 'apply' | 'revoke';

export interface RequestRecord {
  /** Opaque, unguessable, URL- and label-safe (e.g. `r-` + 16 base32 chars); the only thing a button carries. */
  id: string;
  cluster: string;
  action: RequestAction;
  /** What the person typed, after Slack normalisation. */
  text: string;
  /** The canonical form that was shown and is approved. */
  command: string;
  /** Slack user ID of the requester (never a display name). */
  requester: string;
  /** Where it was asked. */
  requestChannel: string;
  /** Every namespace the policies live in: the approver must be allowed for all of them. */
  namespaces: string[];
  policies: NetworkPolicy[];
  /** sha256 hex of the canonical JSON of `policies` (see policyHash()). */
  policyHash: string;
  /** One-paragraph human summary of the effect on the live cluster at request time. */
  effect: string;
  /** Formatted warnings ("warning W001_NEW_ISOLATION: ..."). */
  warnings: string[];
  state: RequestState;
  /** ISO-8601. */
  createdAt: string;
  expiresAt: string;
  /** The approval message, once posted. */
  approvalChannel?: string;
  approvalTs?: string;
  decidedBy?: string;
  decidedAt?: string;
  /** Rejection reason, or the failure reason. */
  reason?: string;
  appliedAt?: string;
  /** How many times the worker tried (for `pending` / failed listings). */
  attempts?: number;
}

export type AuditAction =
  | 'submitted'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'apply-started'
  | 'applied'
  | 'apply-retry'
  | 'failed'
  | 'refused';

export interface AuditEntry {
  requestId: string;
  cluster: string;
  /** ISO-8601. */
  at: string;
  /** A Slack user ID, `worker:<cluster>`, or `system`. */
  actor: string;
  action: AuditAction;
  from?: RequestState;
  to?: RequestState;
  namespaces: string[];
  /** Free text: a reason, an API error, who tried to self-approve... */
  detail?: string;
}
