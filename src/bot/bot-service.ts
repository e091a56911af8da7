/**
 * Everything the bot does, without Bolt: a command or a click in, the messages to show that person
 * out (ephemeral). Slack listeners (build-bot.ts) only ack, call these, and respond. This module
 * dispatches; draft-previews.ts, cluster-answers.ts and approvals.ts do the work.
 */
import { isNetpolError, NetpolError } from '../core/errors';
import { isRequestId } from '../contracts/request-id';
import { helpText } from '../core/request/help';
import { botHelpText } from './commands-help';
import {
  renderError,
  renderHelp,
  renderOutcomeReply,
  renderRefusal,
  type SlackMessage,
} from '../adapters/slack/render';
import { Approvals, type DecisionInput } from './approvals';
import { BotContext, type CommandInput } from './bot-context';
import type { BotDeps } from './bot-deps';
import { ClusterAnswers } from './cluster-answers';
import { splitCommandText } from './command-text';
import { DraftPreviews } from './draft-previews';

export type { CommandInput } from './bot-context';
export type { DecisionInput } from './approvals';

export class BotService {
  private readonly ctx: BotContext;
  private readonly previews: DraftPreviews;
  private readonly answers: ClusterAnswers;
  private readonly approvals: Approvals;

  constructor(private readonly deps: BotDeps) {
    this.ctx = new BotContext(deps);
    this.previews = new DraftPreviews(this.ctx);
    this.answers = new ClusterAnswers(this.ctx);
    this.approvals = new Approvals(this.ctx);
  }

  async handleCommand(input: CommandInput): Promise<SlackMessage[]> {
    const parsed = splitCommandText(input.text);
    let cluster = parsed.cluster ?? this.deps.config.defaultCluster;
    try {
      cluster = this.ctx.cluster(parsed.cluster);
      switch (parsed.subcommand) {
        case 'help':
          return [
            renderHelp(botHelpText(parsed.rest === '' ? undefined : parsed.rest, helpText), {
              cluster,
              user: input.user,
            }),
          ];
        case 'show':
          return await this.answers.show(cluster, input.user, parsed.rest);
        case 'explain':
          return [await this.answers.explain(cluster, input.user, parsed.rest)];
        case 'pending':
          return [await this.answers.pending(cluster, input.user)];
        case 'history':
          return [await this.answers.history(cluster, parsed.rest)];
        case 'revoke':
          return [await this.previews.revoke(input, cluster, parsed.rest)];
        case 'reject':
          return [await this.rejectWithReason(input.user, parsed.rest)];
        case 'request':
          return [await this.previews.request(input, cluster, parsed.rest)];
      }
    } catch (error) {
      if (isNetpolError(error)) return [renderError(error, { cluster, text: input.text, user: input.user })];
      this.deps.log.error({ err: error }, 'command failed');
      // Not a NetpolError: a bug or an outage. The renderer shows a generic reply, never the message.
      return [
        renderError(error instanceof Error ? error : new Error(String(error)), {
          cluster,
          text: input.text,
          user: input.user,
        }),
      ];
    }
  }

  /** `/netpol reject <request-id> [because] <reason>`: the Reject button, with the reason recorded. */
  private async rejectWithReason(user: string, rest: string): Promise<SlackMessage> {
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
    const refusal = await this.approvals.decide({ user, requestId, approve: false, reason });
    if (refusal !== undefined) return refusal;
    const record = await this.deps.store.get(requestId);
    return record === undefined
      ? renderRefusal({ kind: 'not-found', requestId }, { user })
      : renderOutcomeReply(record);
  }

  submit(user: string, draftId: string): Promise<SlackMessage> {
    return this.approvals.submit(user, draftId);
  }

  cancel(user: string, draftId: string): Promise<SlackMessage> {
    return this.approvals.cancel(user, draftId);
  }

  decide(input: DecisionInput): Promise<SlackMessage | undefined> {
    return this.approvals.decide(input);
  }

  expire(requestId: string): Promise<void> {
    return this.approvals.expire(requestId);
  }
}
