/**
 * What to tell a person whose click or command failed on netpol's side: which part failed (Redis,
 * a Slack user group lookup, or netpol itself) and what to do. The error boundaries in build-bot.ts
 * use it; the details stay in the log with the request id. NetpolErrors (the person's own mistakes
 * and refusals) never get here: BotService answers them itself.
 */
import { RequestStoreError } from '../adapters/redis/request-store';
import { DeadlineExceeded, isDependencyFailure } from './dependency-failure';

export interface FailureDescription {
  /** What failed, for the person. */
  what: string;
  /** What to do about it. */
  todo: string;
}

const RETRY = 'Try again in a minute; if it keeps failing, tell the netpol operators';

export function describeFailure(error: unknown): FailureDescription {
  if (isDependencyFailure(error)) {
    if (error.dependency === 'slack-user-groups')
      return {
        what: `looking up the members of Slack user group ${error.operation} failed`,
        todo: `${RETRY} (the bot needs the usergroups:read scope)`,
      };
    const stored = error.cause;
    if (stored instanceof DeadlineExceeded)
      return {
        what: `netpol's Redis (where requests and previews are kept) did not answer within ${stored.deadlineMs / 1000} s`,
        todo: `${RETRY}; what you asked may still complete when Redis is back, so check \`/netpol pending\` before you repeat a decision (check Redis and REDIS_URL)`,
      };
    // The store's own refusals of a malformed record or id are bugs, not an outage.
    if (!(stored instanceof RequestStoreError) || stored.code === 'E_REDIS')
      return {
        what: "netpol's Redis (where requests and previews are kept) did not answer",
        todo: `${RETRY} (check Redis and REDIS_URL)`,
      };
  }
  return {
    what: 'netpol hit an internal error (a bug)',
    todo: 'Tell the netpol operators, quoting the request id if there is one: the details are in their log',
  };
}
