/**
 * The WebClient the outbound worker needs: it must fail fast and leave retrying to the queue.
 *
 * - `rejectRateLimitedCalls: true`: on a 429 WebClient otherwise pauses its own request queue and
 *   retries in memory, invisible to BullMQ and lost on a restart; with it the call throws
 *   `slack_webapi_rate_limited_error` with `retryAfter` and the worker pauses the BullMQ queue.
 * - `retryConfig: { retries: 0 }`: the default retries a 5xx for about 30 minutes while the job holds
 *   the queue; BullMQ's backoff (RETRY_POLICY) retries instead.
 * - `timeout`: WebClient's default is none, and a hung request would stall the queue forever.
 *
 * Also `pinoSlackLogger`, to give WebClient (or Bolt) the process's pino logger.
 */
import { Logger as SlackLogger, LogLevel, WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

export interface CreateSlackWebClientOptions {
  token: string;
  /** Slack's API base URL (`https://slack.com/api/` by default); tests pass the stand-in's. */
  apiUrl?: string;
  logger?: SlackLogger;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
}

export function createSlackWebClient(options: CreateSlackWebClientOptions): WebClient {
  return new WebClient(options.token, {
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: options.timeoutMs ?? 10_000,
    ...(options.apiUrl !== undefined ? { slackApiUrl: options.apiUrl } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
}

/**
 * @slack/logger on top of pino. Slack's libraries log free text; it goes under `msg` with the
 * component as a field. Levels are pino's to decide: `setLevel` is remembered for `getLevel` only.
 * WebClient redacts the token from what it logs at debug level.
 */
export function pinoSlackLogger(log: Logger, name = 'slack-web-api'): SlackLogger {
  let child = log.child({ component: name });
  let level = LogLevel.INFO;
  const write =
    (at: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]): void =>
      child[at](msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' '));
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n: string) => {
      child = log.child({ component: n });
    },
  };
}
