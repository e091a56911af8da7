/**
 * The one contract between the bot and the workers (STYLE.md: they share domain code, never each
 * other): queue names, job payloads and job ids. Job ids are derived from the request, so enqueuing
 * the same work twice is a no-op (BullMQ ignores a job whose id exists).
 */

/** Per cluster: only that cluster's workers consume it, and only they hold its credentials. */
export function applyQueueName(cluster: string): string {
  return `apply-${cluster}`;
}

export interface ApplyJob {
  requestId: string;
  cluster: string;
  /** The hash that was approved; the worker refuses the job if the stored policies hash differently. */
  policyHash: string;
}

export function applyJobId(requestId: string): string {
  return `apply-${requestId}`;
}

/** Expiry of pending requests: a delayed job per request, due at its expiresAt. */
export const EXPIRY_QUEUE = 'request-expiry';

export interface ExpiryJob {
  requestId: string;
}

export function expiryJobId(requestId: string): string {
  return `expire-${requestId}`;
}

/** Everything posted to Slack, by the bot or on behalf of workers, goes through this one queue. */
export const SLACK_OUTBOUND_QUEUE = 'slack-outbound';

export type SlackOutboundJob =
  | {
      kind: 'post';
      channel: string;
      text: string;
      blocks?: unknown[];
      threadTs?: string;
      /** After posting, record the message as this request's approval message. */
      recordApprovalFor?: string;
    }
  | { kind: 'update'; channel: string; ts: string; text: string; blocks: unknown[] }
  | { kind: 'ephemeral'; channel: string; user: string; text: string; blocks?: unknown[] };

/** Attempts and backoff for jobs that talk to an API that may be briefly unavailable. */
export const RETRY_POLICY = Object.freeze({
  attempts: 6,
  backoff: { type: 'exponential' as const, delay: 500 },
});
