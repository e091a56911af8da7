/**
 * What a failed Slack call means for the outbound queue, decided once here (STYLE.md: normalise at
 * the boundary). Pure: looks only at the error WebClient threw.
 *
 * | code                 | what it means                                        | what the worker does / what to do         |
 * |----------------------|------------------------------------------------------|-------------------------------------------|
 * | E_SLACK_RATE_LIMITED | Slack answered 429 with Retry-After                  | pauses the whole queue that long, no attempt used |
 * | E_SLACK_REFUSED      | Slack refused the call (`channel_not_found`, ...)    | drops the job (failed set, logged); fix the channel, the bot's membership or token, or the message |
 * | E_SLACK_UNAVAILABLE  | 5xx, network, timeout, Slack's own internal errors   | retries with RETRY_POLICY's backoff       |
 * | E_SLACK_HOOK         | the message went out but `onPosted` failed           | retries the hook only, never re-posts     |
 *
 * A platform error (`ok: false`) is permanent unless Slack documents it as its own trouble: an
 * unknown code is almost always a request Slack will refuse again.
 */
import { ErrorCode } from '@slack/web-api';
import type { CodeOf } from '../../../core/error-catalogue';

/** The codes of the table above, as listed in src/core/error-catalogue.ts. */
export type SlackOutboundErrorCode = CodeOf<'SlackOutboundError'>;

export type SlackFailure =
  | { kind: 'rate-limited'; retryAfterMs: number }
  /** `slackError` is Slack's own code, e.g. `channel_not_found`. */
  | { kind: 'permanent'; slackError: string }
  | { kind: 'transient'; slackError: string; statusCode?: number };

/** Platform errors that say Slack, not the request, is at fault (from Slack's per-method docs). */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'team_added_to_org',
]);

/** Used when Slack sends a 429 without a usable Retry-After (WebClient then throws a plain Error). */
export const DEFAULT_RETRY_AFTER_MS = 1000;

export function classifySlackError(error: unknown): SlackFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    retryAfter?: unknown;
    statusCode?: unknown;
    data?: { error?: unknown };
    message?: unknown;
  };
  switch (e.code) {
    case ErrorCode.RateLimitedError: {
      const seconds = typeof e.retryAfter === 'number' && e.retryAfter >= 0 ? e.retryAfter : undefined;
      return {
        kind: 'rate-limited',
        retryAfterMs: seconds === undefined ? DEFAULT_RETRY_AFTER_MS : seconds * 1000,
      };
    }
    case ErrorCode.PlatformError: {
      const slackError = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
      if (slackError === 'ratelimited') return { kind: 'rate-limited', retryAfterMs: DEFAULT_RETRY_AFTER_MS };
      return TRANSIENT_PLATFORM_ERRORS.has(slackError)
        ? { kind: 'transient', slackError }
        : { kind: 'permanent', slackError };
    }
    case ErrorCode.HTTPError: {
      const statusCode = typeof e.statusCode === 'number' ? e.statusCode : 0;
      // Slack uses no status besides 200 and 429 on purpose; a 5xx or 408 is its trouble, a 4xx ours.
      return statusCode >= 500 || statusCode === 408 || statusCode === 0
        ? { kind: 'transient', slackError: 'http_error', statusCode }
        : { kind: 'permanent', slackError: `http_${statusCode}` };
    }
    case ErrorCode.RequestError:
      return { kind: 'transient', slackError: 'request_error' };
    default:
      if (typeof e.message === 'string' && e.message.startsWith('Retry header did not contain')) {
        return { kind: 'rate-limited', retryAfterMs: DEFAULT_RETRY_AFTER_MS };
      }
      return { kind: 'transient', slackError: 'unexpected_error' };
  }
}

/** The error a job fails with for a retry: its message is what BullMQ stores as failedReason. */
export class SlackOutboundError extends Error {
  readonly code: SlackOutboundErrorCode;
  readonly slackError?: string;

  constructor(
    code: SlackOutboundErrorCode,
    message: string,
    options: { slackError?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SlackOutboundError';
    this.code = code;
    this.slackError = options.slackError;
  }
}
