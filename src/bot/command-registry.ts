/**
 * The bot's commands in one table: the word after `/netpol` that selects each, its usage and summary
 * as `/netpol help` shows them, and the handler the bot dispatches to. The help text
 * (commands-help.ts) and the words the splitter recognises (command-text.ts) are generated from it,
 * so a command cannot be added without its help line, nor listed in help without a handler.
 * Any other first word is the request language (allow, deny, isolate, can, who, what, help topics).
 */
import type { SlackMessage } from '../adapters/slack/render';
import { renderHelp } from '../adapters/slack/render';
import { helpText } from '../core/request/help';
import type { Approvals } from './approvals';
import type { BotContext, CommandInput } from './bot-context';
import type { ClusterAnswers } from './cluster-answers';
import { botHelpText, formatCommandsHelp, type UsageLine } from './commands-help';
import type { DraftPreviews } from './draft-previews';
import { rejectWithReason } from './reject-with-reason';
import { muteCommand, unmuteCommand } from './drop-alerts';
import { isRequestId } from '../contracts/request-id';
import { statusAnswer } from './status';
import { graphCommand } from './graph';
import { Suggestions } from './suggest';

/**
 * One typed command. `cluster` is the one it names (checked) or the default; undefined when it names
 * none and there is no default: a handler that needs one asks `needCluster`, which says how to name it.
 */
export interface CommandCall {
  input: CommandInput;
  cluster: string | undefined;
  /** The text after the command word (for the request language: the whole request). */
  rest: string;
}

/** The parts of the bot that do the work; handlers only pick one and pass the call on. */
export interface CommandServices {
  ctx: BotContext;
  previews: DraftPreviews;
  answers: ClusterAnswers;
  approvals: Approvals;
}

export type CommandHandler = (call: CommandCall, services: CommandServices) => Promise<SlackMessage[]>;

/** The call's cluster, or E_USAGE with an example of the command as typed, `@<cluster>` added. */
function needCluster(call: CommandCall, { ctx }: CommandServices): string {
  return ctx.cluster(call.cluster, call.input.text);
}

export interface BotCommand {
  /** The word after `/netpol` (and an optional `@cluster`) that selects it, lower case. */
  name: string;
  usage: UsageLine;
  handler: CommandHandler;
}

/** Whatever no command claims: a change to preview, or a question to answer. Two lines of help. */
export const REQUEST_LANGUAGE: { usage: readonly UsageLine[]; handler: CommandHandler } = {
  usage: [
    {
      syntax: 'allow|deny|isolate ...',
      summary: 'preview a policy change, then Submit it for approval (--audit 1h: report, drop nothing)',
    },
    {
      syntax: 'can A reach B on P',
      summary: 'who-can / what-can questions too: answered from the cluster',
    },
  ],
  handler: async (call, services) => [
    await services.previews.request(call.input, needCluster(call, services), call.rest),
  ],
};

/** Not a command: a prefix every command takes (bot-context.ts settles which cluster it means). */
export const CLUSTER_PREFIX: UsageLine = {
  syntax: '@<cluster> ...',
  summary: 'name the cluster when several are configured',
};

const HELP_TOPICS = 'commands, allow, deny, isolate, audit, query, selectors, ports, keywords, recipes';

/** In the order `/netpol help` lists them. */
export const BOT_COMMANDS = [
  {
    name: 'show',
    usage: {
      syntax: 'show <namespace>',
      summary: 'every policy there, isolation, who requested and approved ours',
    },
    handler: (call, services) =>
      services.answers.show(needCluster(call, services), call.input.user, call.rest),
  },
  {
    name: 'explain',
    usage: {
      syntax: 'explain <from> to <to> on <p>',
      summary: 'the verdict, with the deciding policy and rule on each side',
    },
    handler: async (call, services) => [
      await services.answers.explain(needCluster(call, services), call.input.user, call.rest),
    ],
  },
  {
    name: 'revoke',
    usage: {
      syntax: 'revoke <namespace>/<policy>',
      summary: 'remove a policy netpol manages (same approval)',
    },
    handler: async (call, services) => [
      await services.previews.revoke(call.input, needCluster(call, services), call.rest),
    ],
  },
  {
    name: 'reject',
    usage: {
      syntax: 'reject <request-id> <reason>',
      summary: 'reject with a reason (the Reject button records none)',
    },
    handler: async ({ input, rest }, services) => [await rejectWithReason(services, input.user, rest)],
  },
  {
    name: 'pending',
    usage: { syntax: 'pending', summary: 'open requests and failed applies (every cluster unless @named)' },
    handler: async ({ input, cluster }, { answers }) => [await answers.pending(cluster, input.user)],
  },
  {
    name: 'history',
    usage: { syntax: 'history <namespace|request-id>', summary: 'the audit trail' },
    // A request id names its cluster; a namespace needs one.
    handler: async (call, services) => [
      isRequestId(call.rest.trim())
        ? await services.answers.requestHistory(call.rest.trim(), call.input.user)
        : await services.answers.history(needCluster(call, services), call.rest),
    ],
  },
  {
    name: 'suggest',
    usage: {
      syntax: 'suggest <namespace>',
      summary: 'policies allowing exactly the traffic seen there: untick, then Request approval',
    },
    handler: async (call, services) => [
      await new Suggestions(services.ctx, services.previews, services.approvals).command(
        call.input,
        needCluster(call, services),
        call.rest,
      ),
    ],
  },
  {
    name: 'graph',
    usage: {
      syntax: 'graph <namespace>',
      summary: 'a picture of the flows seen there: allowed in green, blocked in red (PNG)',
    },
    handler: (call, services) =>
      graphCommand(call.input, needCluster(call, services), call.rest, services.ctx),
  },
  {
    name: 'mute',
    usage: {
      syntax: 'mute <target> <duration>',
      summary: 'hold back drop alerts (backend, frontend/nginx -> backend; 30m, 1h, 1d)',
    },
    handler: (call, { ctx }) => muteCommand(call, ctx),
  },
  {
    name: 'unmute',
    usage: { syntax: 'unmute <target>', summary: 'drop alerts for that target again' },
    handler: (call, { ctx }) => unmuteCommand(call, ctx),
  },
  {
    name: 'status',
    usage: { syntax: 'status', summary: 'workers, node agents, queues and Redis of every cluster' },
    handler: async ({ input, cluster }, { ctx }) => [await statusAnswer(ctx, cluster, input.user)],
  },
  {
    name: 'help',
    usage: { syntax: 'help [topic]', summary: `topics: ${HELP_TOPICS}` },
    handler: async ({ input, cluster, rest }) => [
      renderHelp(botHelpText(rest === '' ? undefined : rest, COMMANDS_HELP, helpText), {
        ...(cluster === undefined ? {} : { cluster }),
        user: input.user,
      }),
    ],
  },
] as const satisfies readonly BotCommand[];

export type CommandName = (typeof BOT_COMMANDS)[number]['name'];

export const COMMAND_NAMES: readonly CommandName[] = BOT_COMMANDS.map((command) => command.name);

/**
 * Every line of `/netpol help`'s command list: the request language first, then the commands, the
 * cluster prefix (it applies to all of them) and help itself last.
 */
export const HELP_LINES: readonly UsageLine[] = [
  ...REQUEST_LANGUAGE.usage,
  ...BOT_COMMANDS.filter((command) => command.name !== 'help').map((command) => command.usage),
  CLUSTER_PREFIX,
  ...BOT_COMMANDS.filter((command) => command.name === 'help').map((command) => command.usage),
];

export const COMMANDS_HELP = formatCommandsHelp(HELP_LINES);

/** The handler of a command name, or the request language's for anything else. */
export function handlerFor(name: string): CommandHandler {
  const command: BotCommand | undefined = BOT_COMMANDS.find((c) => c.name === name);
  return command?.handler ?? REQUEST_LANGUAGE.handler;
}
