/**
 * A policy change request as stored in Redis, from submission to its end, and its audit entries.
 * Shared by the bot (creates, decides), the workers (apply, revoke) and the renderers. The record
 * holds the exact objects that were shown to the approver and their hash: an approval covers
 * exactly those, and the worker refuses anything whose hash differs.
 */
import type { NetworkPolicy } from '../core/k8s/types';

/** Every state, in a request's order (listings and metrics report each, zero or not). */
export const REQUEST_STATES = [
  'pending-approval',
  'approved',
  'applying',
  'applied',
  'rejected',
  'expired',
  'failed',
] as const;

export type RequestState = (typeof REQUEST_STATES)[number];

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
  /**
   * Every namespace the policies live in, as submitted: what the card lists. Decisions do not trust
   * it: the approvers checked are those of policyNamespaces(policies), derived at decision time.
   */
  namespaces: string[];
  policies: NetworkPolicy[];
  /**
   * The policies rendered as YAML once, when the draft was made (contracts/request-yaml.ts): a cache
   * the cards show only once verified to be the rendering of exactly `policies`. Absent on records
   * stored before it existed (they are rendered from `policies`).
   */
  yaml?: string;
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

/**
 * The namespaces a decision is about: each policy's own metadata.namespace, in order, once each.
 * Derived from the objects that would be applied, never read from the stored `namespaces` field.
 */
export function policyNamespaces(policies: readonly NetworkPolicy[]): string[] {
  // String(): a stored record is read without validation; a missing namespace must not crash the check.
  return [...new Set(policies.map((policy) => String(policy.metadata?.namespace)))];
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
  /** A click or a job that was not acted on (not an approver, self-approval, expired, already
   * decided, policies changed since the card was shown): detail says why. */
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
