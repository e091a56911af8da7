/**
 * Everything the bot does, without Bolt: a command or a click in, the messages to show that person
 * out (ephemeral). Slack listeners (build-bot.ts) only ack, call these, and respond. This module
 * dispatches commands through the registry (command-registry.ts) and buttons to approvals.ts;
 * draft-previews.ts, cluster-answers.ts and approvals.ts do the work. Read commands are answered
 * to readers only (config `readers`). A NetpolError is answered here; anything else (a dependency
 * down, a bug) is thrown, with the failing dependency named (dependency-failure.ts), to the error
 * boundaries in build-bot.ts.
 */
import { isNetpolError } from '../core/errors';
import { renderError, type SlackMessage } from '../adapters/slack/render';
import { Approvals, type DecisionInput } from './approvals';
import { requireReader } from './authorize';
import { BotContext, type CommandInput } from './bot-context';
import type { BotDeps } from './bot-deps';
import { ClusterAnswers } from './cluster-answers';
import { handlerFor, type CommandServices } from './command-registry';
import { splitCommandText } from './command-text';
import { namingFailures, namingGroupFailures } from './dependency-failure';
import { DraftPreviews } from './draft-previews';

export type { CommandInput } from './bot-context';
export type { DecisionInput } from './approvals';

/** The commands that read the cluster (questions typed as requests are checked by DraftPreviews). */
const READ_COMMANDS: ReadonlySet<string> = new Set(['show', 'explain', 'history', 'pending', 'status']);

/** How long a click or command waits for Redis before telling the person it did not answer. */
export const DEFAULT_REDIS_DEADLINE_MS = 5_000;

/** The same dependencies, each failure (or Redis not answering in time) naming the dependency. */
function withNamedFailures(deps: BotDeps): BotDeps {
  const redis = { deadlineMs: deps.redisDeadlineMs ?? DEFAULT_REDIS_DEADLINE_MS };
  return {
    ...deps,
    store: namingFailures(deps.store, 'redis', 'store', redis),
    drafts: namingFailures(deps.drafts, 'redis', 'drafts', redis),
    clusters: namingFailures(deps.clusters, 'redis', 'clusters', redis),
    outbox: namingFailures(deps.outbox, 'redis', 'outbox', redis),
    queues: namingFailures(deps.queues, 'redis', 'queues', redis),
    groupMembers: namingGroupFailures(deps.groupMembers),
    ...(deps.heartbeats === undefined
      ? {}
      : { heartbeats: namingFailures(deps.heartbeats, 'redis', 'heartbeats', redis) }),
    ...(deps.status === undefined ? {} : { status: namingFailures(deps.status, 'redis', 'status', redis) }),
  };
}

/** Where the request language's text starts in what was typed (after `@cluster` and blanks). */
function requestOffset(typed: string, request: string): number {
  return Math.max(0, typed.trimEnd().length - request.length);
}

export class BotService {
  private readonly ctx: BotContext;
  private readonly approvals: Approvals;
  private readonly services: CommandServices;

  private readonly deps: BotDeps;

  constructor(deps: BotDeps) {
    this.deps = withNamedFailures(deps);
    this.ctx = new BotContext(this.deps);
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
    // The footer names a cluster only once it is known to be one (never `@nosuch`, never '').
    let cluster: string | undefined;
    try {
      cluster = this.ctx.namedCluster(parsed.cluster);
      if (READ_COMMANDS.has(parsed.subcommand))
        await requireReader(this.deps.config, this.deps.groupMembers, input);
      return await handlerFor(parsed.subcommand)({ input, cluster, rest: parsed.rest }, this.services);
    } catch (error) {
      if (isNetpolError(error))
        return [
          renderError(error, {
            ...(cluster === undefined ? {} : { cluster }),
            text: input.text,
            user: input.user,
            // A request's columns count within it; the echo shows the whole text, `@prod ` included.
            columnOffset: parsed.subcommand === 'request' ? requestOffset(input.text, parsed.rest) : 0,
          }),
        ];
      // A bug or an outage: the command boundary (build-bot.ts) logs it and tells the person.
      throw error;
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
