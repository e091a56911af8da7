/**
 * The one contract between the bot and the workers (STYLE.md: they share domain code, never each
 * other): queue names, job payloads, job ids and job options. Job ids are derived from the request,
 * so enqueuing the same work twice is a no-op (BullMQ ignores a job whose id exists). Every producer
 * of a queue takes its options from here, so a job's retries and retention do not depend on which
 * process enqueued it.
 */
import type { JobsOptions } from 'bullmq';

/** Attempts and backoff for jobs that talk to an API that may be briefly unavailable. */
export const RETRY_POLICY = Object.freeze({
  attempts: 6,
  backoff: Object.freeze({ type: 'exponential' as const, delay: 500 }),
});

const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;

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

/**
 * Finished apply jobs are what an operator reads when a change did not land, and their rate is a
 * person's approvals: keep completed ones a week and failed ones a month, each capped by count so a
 * storm cannot grow Redis without bound. Nothing depends on a kept job for correctness: the
 * reconciler removes a completed job whose request is still in flight, and the processor does
 * nothing for a request that is already done.
 */
export const APPLY_JOB_RETENTION = Object.freeze({
  removeOnComplete: Object.freeze({ age: 7 * DAY_S, count: 1000 }),
  removeOnFail: Object.freeze({ age: 30 * DAY_S, count: 5000 }),
});

/** How the bot (on approval) and the reconciler (for a lost job) enqueue a request's apply job. */
export function applyJobOptions(requestId: string): JobsOptions {
  return { jobId: applyJobId(requestId), ...RETRY_POLICY, ...APPLY_JOB_RETENTION };
}

/** Expiry of pending requests: a delayed job per request, due at its expiresAt. */
export const EXPIRY_QUEUE = 'request-expiry';

export interface ExpiryJob {
  requestId: string;
}

export function expiryJobId(requestId: string): string {
  return `expire-${requestId}`;
}

/**
 * A completed expiry is recorded on the request itself, so its job is dropped at once; a failed one
 * (Redis trouble through every retry) is kept a month for the operator, like a failed apply job.
 */
export const EXPIRY_JOB_RETENTION = Object.freeze({
  removeOnComplete: true,
  removeOnFail: Object.freeze({ age: 30 * DAY_S, count: 5000 }),
});

/** The delayed job that expires a pending request when it is due. */
export function expiryJobOptions(requestId: string, delayMs: number): JobsOptions {
  return { jobId: expiryJobId(requestId), delay: delayMs, ...RETRY_POLICY, ...EXPIRY_JOB_RETENTION };
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
      /**
       * This is part `part` (from 0) of that request's full YAML in its approval card's thread
       * (`threadTs`): once posted, the bot posts the next part, or gives the card its buttons
       * (src/bot/approval-thread.ts). `policyHash`: the policies the parts were rendered from.
       */
      approvalYamlPart?: { requestId: string; part: number; policyHash: string };
      /** A drop alert's message (issue 10): once posted, the bot records where it landed. */
      alert?: { cluster: string; id: string };
      /**
       * Share this file with the message instead of posting text alone (issue 10: /netpol graph's
       * PNG), through Slack's external upload: files.getUploadURLExternal, the bytes to the URL it
       * returns, then files.completeUploadExternal with channel_id, thread_ts and `text` as the
       * initial comment (`blocks` are not sent). The bytes travel in the job, in Redis: keep files
       * small (a graph's PNG is tens to hundreds of KB).
       */
      file?: { contentBase64: string; filename: string; title: string };
    }
  | {
      kind: 'update';
      channel: string;
      ts: string;
      text: string;
      blocks: unknown[];
      /**
       * This is the approval card of that request: the outbound worker renders the card from the
       * request's current record when it delivers the job (text, blocks, channel and ts above are
       * the fallback, used when the record is gone). So the last update delivered always shows the
       * latest state, whatever order the updates arrive in.
       */
      cardFor?: string;
      /** A drop alert's message (issue 10): once delivered, its next update may be sent. */
      alert?: { cluster: string; id: string };
    }
  | { kind: 'ephemeral'; channel: string; user: string; text: string; blocks?: unknown[] };

/**
 * The outbound queue's default job options, set by its one producer object (SlackOutbox). Completed
 * jobs are kept an hour: a send with the same job id within that hour is a no-op, which is how a
 * re-run never posts the same words twice. Failed jobs (Slack refused the message, or stayed down
 * through every retry) are kept a week to resend by hand. Both capped at 1,000: messages are many.
 * Job ids are the producer's (SendOptions.jobId).
 */
export const SLACK_OUTBOUND_JOB_OPTIONS = Object.freeze({
  ...RETRY_POLICY,
  removeOnComplete: Object.freeze({ age: HOUR_S, count: 1000 }),
  removeOnFail: Object.freeze({ age: 7 * DAY_S, count: 1000 }),
});

/**
 * Audit mode (issue 10): when a request whose policies carry `netpol.io/audit` is applied, its
 * cluster's worker schedules the report due when the audit window ends; per cluster, as the worker
 * that reads the cluster's policies reports on them.
 */
export function auditReportQueueName(cluster: string): string {
  return `audit-report-${cluster}`;
}

export interface AuditReportJob {
  requestId: string;
  cluster: string;
  /**
   * The flow store's counts, when the report was scheduled, of the request's would-block flows
   * already seen before its approval (an earlier audit of the same policy names): the report
   * subtracts them, as the store keeps running totals. Absent in jobs scheduled before it existed.
   */
  baseline?: AuditBaselineEntry[];
}

/** One would-block flow's count in the flow store (its flowId), and its first seen, at scheduling. */
export interface AuditBaselineEntry {
  flow: string;
  count: number;
  /** ISO 8601: a flow first seen later is a new one (the old expired), with nothing to subtract. */
  firstSeen: string;
}

/** One report per request: a retried or re-run apply schedules the same job, which BullMQ ignores. */
export function auditReportJobId(requestId: string): string {
  return `audit-report-${requestId}`;
}

/**
 * Completed report jobs are kept a month, longer than an apply job can be re-delivered, because the
 * kept job is what makes a second scheduling a no-op; failed ones a month too, for the operator.
 */
export const AUDIT_REPORT_JOB_RETENTION = Object.freeze({
  removeOnComplete: Object.freeze({ age: 30 * DAY_S, count: 5000 }),
  removeOnFail: Object.freeze({ age: 30 * DAY_S, count: 5000 }),
});

/** The delayed job that posts a request's audit report when its window ends. */
export function auditReportJobOptions(requestId: string, delayMs: number): JobsOptions {
  return {
    jobId: auditReportJobId(requestId),
    delay: Math.max(0, delayMs),
    ...RETRY_POLICY,
    ...AUDIT_REPORT_JOB_RETENTION,
  };
}
