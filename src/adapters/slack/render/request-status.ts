/**
 * One request's state in words, shared by the approval message, the thread replies and the pending
 * list: who decided and when, when it expires or expired, when it was applied or why it failed. A
 * pending request whose expiry has passed reads as expired: the bot refuses to decide it either way.
 */
import type { RequestRecord } from '../../../contracts/request-record';
import { escapeMrkdwn, formatUtc, mention, plural, relativeTo, verbatim } from './mrkdwn';

const REASON_BUDGET = 1200;

/** True while the record can still be approved or rejected at `now`. */
export function isDecidable(record: RequestRecord, now: string): boolean {
  if (record.state !== 'pending-approval') return false;
  const expires = Date.parse(record.expiresAt);
  const at = Date.parse(now);
  return Number.isNaN(expires) || Number.isNaN(at) || at < expires;
}

function decided(record: RequestRecord): string {
  const at = record.decidedAt === undefined ? '' : ` at ${formatUtc(record.decidedAt)}`;
  return `Approved by ${mention(record.decidedBy ?? 'unknown')}${at}`;
}

function reason(record: RequestRecord): string {
  return record.reason === undefined || record.reason.trim() === ''
    ? 'no reason given'
    : verbatim(record.reason, REASON_BUDGET);
}

/**
 * Status lines (mrkdwn), most important first. `now` (ISO) drives "expires in"; without it only
 * absolute times are shown.
 */
export function statusLines(record: RequestRecord, now?: string): string[] {
  const expiresIn = now === undefined ? undefined : relativeTo(record.expiresAt, now);
  const attempts =
    record.attempts !== undefined && record.attempts > 1 ? ` (attempt ${record.attempts})` : '';
  switch (record.state) {
    case 'pending-approval':
      if (now !== undefined && !isDecidable(record, now)) {
        return [`:hourglass: Expired at ${formatUtc(record.expiresAt)} (nothing was applied)`];
      }
      return [
        `:hourglass_flowing_sand: Waiting for approval; expires at ${formatUtc(record.expiresAt)}` +
          (expiresIn === undefined ? '' : ` (${expiresIn})`),
      ];
    case 'approved':
      return [`:white_check_mark: ${decided(record)}`, ':gear: Queued to apply'];
    case 'applying':
      return [`:white_check_mark: ${decided(record)}`, `:gear: Applying${attempts}`];
    case 'applied': {
      const at = record.appliedAt ?? record.decidedAt;
      const what = record.action === 'revoke' ? ' (the policies were deleted)' : '';
      return [
        `:white_check_mark: ${decided(record)}`,
        `:rocket: Applied${at === undefined ? '' : ` at ${formatUtc(at)}`}${what}`,
      ];
    }
    case 'rejected': {
      const at = record.decidedAt === undefined ? '' : ` at ${formatUtc(record.decidedAt)}`;
      return [`:no_entry: Rejected by ${mention(record.decidedBy ?? 'unknown')}${at}: ${reason(record)}`];
    }
    case 'expired':
      return [`:hourglass: Expired at ${formatUtc(record.expiresAt)} (nothing was applied)`];
    case 'failed': {
      const tries = record.attempts === undefined ? '' : ` after ${plural(record.attempts, 'attempt')}`;
      const lines = record.decidedBy === undefined ? [] : [`:white_check_mark: ${decided(record)}`];
      return [...lines, `:x: Failed${tries}: ${reason(record)}`];
    }
  }
}

/** The state in a few words for fallbacks and lists: `waiting for approval`, `rejected by <@U2>`. */
export function statusShort(record: RequestRecord, now?: string): string {
  switch (record.state) {
    case 'pending-approval':
      return now !== undefined && !isDecidable(record, now) ? 'expired' : 'waiting for approval';
    case 'approved':
      return `approved by ${mention(record.decidedBy ?? 'unknown')}, queued to apply`;
    case 'applying':
      return `approved by ${mention(record.decidedBy ?? 'unknown')}, applying`;
    case 'applied':
      return `applied, approved by ${mention(record.decidedBy ?? 'unknown')}`;
    case 'rejected':
      return `rejected by ${mention(record.decidedBy ?? 'unknown')}`;
    case 'expired':
      return 'expired (nothing was applied)';
    case 'failed':
      return `failed: ${verbatim(record.reason ?? 'no reason given', 200)}`;
  }
}

/** `r-abc` as inline code. */
export function requestId(record: { id: string }): string {
  return `\`${escapeMrkdwn(record.id)}\``;
}
