/**
 * `/netpol status`: the status report (adapters/redis/heartbeat-status.ts) of every cluster, or of the
 * one named (`/netpol @prod status`), in one message. Read-only; readers only (bot-service.ts).
 */
import { NetpolError } from '../core/errors';
import { renderStatus, type SlackMessage } from '../adapters/slack/render';
import type { BotContext } from './bot-context';

export async function statusAnswer(
  ctx: BotContext,
  cluster: string | undefined,
  user: string,
): Promise<SlackMessage> {
  if (ctx.deps.status === undefined)
    throw new NetpolError('E_USAGE', 'this bot was started without a status reader', {
      hint: 'run the bot with run-bot.ts (the netpol-bot process), which reads the status from Redis',
    });
  const report = await ctx.deps.status.read();
  const clusters =
    cluster === undefined ? report.clusters : report.clusters.filter((c) => c.cluster === cluster);
  return renderStatus({ ...report, clusters }, { user });
}
