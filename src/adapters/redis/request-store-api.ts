/**
 * What the bot and the workers may do with requests. Every state change is one atomic step in Redis
 * (a Lua script): the check (current state, expiry, requester != approver) and the write (fields,
 * state, the audit entry, the indexes) happen together or not at all, so two approvers clicking at
 * once produce one approval, and a click after expiry changes nothing.
 */
import type { AuditEntry, RequestRecord, RequestState } from '../../contracts/request-record';

export type DecideRefusal =
  | 'not-found'
  /** Already decided, or past pending (the record says by whom and how). */
  | 'not-pending'
  /** expiresAt has passed; the request is now marked expired by this very call. */
  | 'expired'
  | 'self-approval';

export type DecideResult =
  { ok: true; record: RequestRecord } | { ok: false; refusal: DecideRefusal; record?: RequestRecord };

export type TransitionResult = { ok: true; record: RequestRecord } | { ok: false; record?: RequestRecord };

export interface RequestStoreApi {
  /** Stores a new request in `pending-approval` with an audit entry `submitted` by its requester. */
  create(record: RequestRecord): Promise<void>;

  get(id: string): Promise<RequestRecord | undefined>;

  /**
   * Approve or reject a pending request, atomically: refused when not pending, expired (then marked
   * expired, audited, and `expired` returned), or when approving one's own request (audited as
   * `refused`). `now` is ISO-8601 (injected clock).
   */
  decide(
    id: string,
    decision: { approve: boolean; by: string; reason?: string; now: string },
  ): Promise<DecideResult>;

  /**
   * Generic guarded transition for workers and the expiry job: applies only if the current state is
   * one of `from`; sets `to`, merges `fields`, appends the audit entry. Returns ok:false with the
   * current record otherwise. A transition to the same state is allowed when listed in `from`
   * (a restarted worker re-entering `applying`).
   */
  transition(
    id: string,
    change: {
      from: RequestState[];
      to: RequestState;
      actor: string;
      action: AuditEntry['action'];
      now: string;
      detail?: string;
      fields?: Partial<Pick<RequestRecord, 'reason' | 'appliedAt' | 'attempts' | 'decidedBy' | 'decidedAt'>>;
    },
  ): Promise<TransitionResult>;

  /** Marks pending-approval as expired if expiresAt <= now. ok:false if it was not pending or not yet due. */
  expire(id: string, now: string): Promise<TransitionResult>;

  /** Records where the approval message is (idempotent). */
  setApprovalMessage(id: string, channel: string, ts: string): Promise<void>;

  /** Requests currently in any of these states, oldest first (optionally one cluster). */
  listByState(
    states: RequestState[],
    options?: { cluster?: string; limit?: number },
  ): Promise<RequestRecord[]>;

  /** The audit trail of one request, in order. */
  audit(id: string): Promise<AuditEntry[]>;

  /** The audit trail touching a namespace of a cluster, newest first. */
  history(cluster: string, namespace: string, options?: { limit?: number }): Promise<AuditEntry[]>;
}
