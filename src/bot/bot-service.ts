/**
 * Everything the bot does, without Bolt: a command or a click in, the messages to show that person
 * out (ephemeral). Slack listeners (build-bot.ts) only ack, call these, and respond. This module
 * dispatches commands through the registry (command-registry.ts) and buttons to approvals.ts;
 * draft-previews.ts, cluster-answers.ts and approvals.ts do the work.
 */
import { isNetpolError } from '../core/errors';
import { renderError, type SlackMessage } from '../adapters/slack/render';
import { Approvals, type DecisionInput } from './approvals';
import { BotContext, type CommandInput } from './bot-context';
import type { BotDeps } from './bot-deps';
import { ClusterAnswers } from './cluster-answers';
import { handlerFor, type CommandServices } from './command-registry';
import { splitCommandText } from './command-text';
import { DraftPreviews } from './draft-previews';

export type { CommandInput } from './bot-context';
export type { DecisionInput } from './approvals';

export class BotService {
  private readonly ctx: BotContext;
  private readonly approvals: Approvals;
  private readonly services: CommandServices;

  constructor(private readonly deps: BotDeps) {
    this.ctx = new BotContext(deps);
    this.approvals = new Approvals(this.ctx);
    this.services = {
      ctx: this.ctx,
      previews: new DraftPreviews(this.ctx),
      answers: new ClusterAnswers(this.ctx),
      approvals: this.approvals,
    };
  }

  async handleCommand(input: CommandInput): Promise<SlackMessage[]> {
    const parsed = splitCommandText(input.text);
    let cluster = parsed.cluster ?? this.deps.config.defaultCluster;
    try {
      cluster = this.ctx.cluster(parsed.cluster);
      return await handlerFor(parsed.subcommand)({ input, cluster, rest: parsed.rest }, this.services);
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
