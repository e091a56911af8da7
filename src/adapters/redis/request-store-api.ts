/**
 * What the bot and the workers may do with requests. Every state change is one atomic step in Redis
 * (a Lua script): the check (current state, expiry, requester != approver) and the write (fields,
 * state, the audit entry, the indexes) happen together or not at all, so two approvers clicking at
 * once produce one approval, and a click after expiry changes nothing. A decision is bound to the
 * content the decider was checked against (DecidedContent): if the stored policies changed since they
 * were read, it is refused. Every refused decision is on the request's audit trail.
 */
import {
  policyNamespaces,
  type AuditEntry,
  type RequestRecord,
  type RequestState,
} from '../../contracts/request-record';

export type DecideRefusal =
  | 'not-found'
  /** Already decided, or past pending (the record says by whom and how). */
  | 'not-pending'
  /** expiresAt has passed; the request is now marked expired by this very call. */
  | 'expired'
  | 'self-approval'
  /** The stored policies or their hash are not the ones the decision was made on (audited). */
  | 'changed';

/**
 * What a decision is about, as the bot read and checked it. The store refuses the decision unless
 * the stored policies and hash are still exactly these, in the same atomic step that records it.
 */
export interface DecidedContent {
  /** The hash the decider saw (for an approval: the one the Approve button carried). */
  policyHash: string;
  /** The policies the decider was checked against, as read from the store. */
  policies: RequestRecord['policies'];
  /** The namespaces the approvers were checked for (policyNamespaces): the audit entry's namespaces. */
  namespaces: string[];
}

export type DecideResult =
  { ok: true; record: RequestRecord } | { ok: false; refusal: DecideRefusal; record?: RequestRecord };

export type TransitionResult = { ok: true; record: RequestRecord } | { ok: false; record?: RequestRecord };

/** A record's content as read: what a decision on it is bound to. */
export function decidedContentOf(record: RequestRecord): DecidedContent {
  return {
    policyHash: record.policyHash,
    policies: record.policies,
    namespaces: policyNamespaces(record.policies),
  };
}

export interface RequestStoreApi {
  /** Stores a new request in `pending-approval` with an audit entry `submitted` by its requester. */
  create(record: RequestRecord): Promise<void>;

  get(id: string): Promise<RequestRecord | undefined>;

  /**
   * Approve or reject a pending request, atomically: refused when not pending, expired (then marked
   * expired, audited, and `expired` returned), when the stored content is not `content` any more
   * (`changed`), or when approving one's own request. Every refusal is audited as `refused` by the
   * decider, with why. `now` is ISO-8601 (injected clock).
   */
  decide(
    id: string,
    decision: { approve: boolean; by: string; reason?: string; now: string; content: DecidedContent },
  ): Promise<DecideResult>;

  /**
   * Records a refusal decided outside the store (not an approver, a click whose hash is not the
   * stored one) on the request's trail and its namespaces' trails; the state is unchanged. false if
   * there is no such request.
   */
  refuse(
    id: string,
    refusal: { by: string; now: string; why: string; namespaces: string[] },
  ): Promise<boolean>;

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
