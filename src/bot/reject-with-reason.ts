/**
 * `/netpol reject <request-id> [because] <reason>`: the Reject button, with the reason recorded. The
 * decision itself (approver check, atomic store transition, card update) is approvals.ts's.
 */
import { NetpolError } from '../core/errors';
import { isRequestId } from '../contracts/request-id';
import { renderOutcomeReply, renderRefusal, type SlackMessage } from '../adapters/slack/render';
import type { Approvals } from './approvals';
import type { BotContext } from './bot-context';

export async function rejectWithReason(
  services: { ctx: BotContext; approvals: Approvals },
  user: string,
  rest: string,
): Promise<SlackMessage> {
  const [requestId = '', ...words] = rest.trim().split(/\s+/);
  if (!isRequestId(requestId)) {
    throw new NetpolError('E_USAGE', 'reject needs a request id and a reason', {
      hint: 'e.g. /netpol reject r-abcdefghijklmnop because it opens every port',
    });
  }
  const reason = words
    .join(' ')
    .replace(/^because\s+/i, '')
    .trim();
  if (reason === '')
    throw new NetpolError('E_USAGE', 'say why the request is rejected', {
      hint: `e.g. /netpol reject ${requestId} because it opens every port`,
    });
  const refusal = await services.approvals.decide({ user, requestId, approve: false, reason });
  if (refusal !== undefined) return refusal;
  const record = await services.ctx.deps.store.get(requestId);
  return record === undefined
    ? renderRefusal({ kind: 'not-found', requestId }, { user })
    : renderOutcomeReply(record);
}
