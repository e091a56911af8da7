/**
 * The Slack app: Bolt listeners that ack at once, hand the work to BotService, and answer the
 * person with ephemeral replies. HTTP receiver (signed requests on /slack/events) or Socket Mode,
 * chosen by configuration. Building never listens: `start()` does (build apart from listen).
 *
 * One error boundary per handler kind (command, button): whatever a handler throws after its ack
 * (a dependency down, a bug) is logged once with the request id and answered to the person,
 * ephemerally, naming what failed and what to do (handler-failure.ts): through the response_url,
 * else chat.postEphemeral. A click or a command never fails silently.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  App,
  type BlockAction,
  type ButtonAction,
  type RespondFn,
  type SlackActionMiddlewareArgs,
  type SlackCommandMiddlewareArgs,
  type AllMiddlewareArgs,
} from '@slack/bolt';
import type { Logger } from 'pino';
import type { SlackMessage } from '../adapters/slack/render';
import {
  ACTION_IDS,
  parseDecisionButtonValue,
  SUGGEST_FLOWS_ACTION_PREFIX,
  type ActionId,
} from '../adapters/slack/render/action-ids';
import { renderHandlerFailure, type HandlerFailureInput } from '../adapters/slack/render/failure-reply';
import { pinoSlackLogger } from '../adapters/slack/outbound';
import type { BotDeps } from './bot-deps';
import { BotContext } from './bot-context';
import { BotService } from './bot-service';
import { AlertRequestAllow } from './drop-alerts';
import { AuditEnforce } from './audit-enforce';
import { Approvals } from './approvals';
import { DraftPreviews } from './draft-previews';
import { Suggestions, tickedFlows } from './suggest';
import { splitCommandText } from './command-text';
import { describeFailure } from './handler-failure';

/** response_url takes at most 5 replies; longer answers are cut with a note. */
const MAX_REPLIES = 5;

export interface BuiltBot {
  app: App;
  service: BotService;
  /**
   * Listens (HTTP: on `port`, 0 = any free port, and `host`; default the config's PORT and HOST) or
   * connects (Socket Mode); returns the HTTP port and address listened on.
   */
  start(options?: { port?: number; host?: string }): Promise<{ port?: number; address?: string }>;
  stop(): Promise<void>;
}

/**
 * Called right after ack(): lets the event loop's poll phase run before this handler's heavier work
 * (parse, resolve, build, render), so requests that arrived meanwhile are verified and acked first.
 * Slack's deadline is on the ack (3 s), not on the reply.
 */
function yieldToPendingRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function reply(respond: RespondFn, messages: SlackMessage[], replaceOriginal: boolean): Promise<void> {
  const shown = messages.slice(0, MAX_REPLIES);
  for (const [i, message] of shown.entries()) {
    const last = i === shown.length - 1 && messages.length > MAX_REPLIES;
    await respond({
      response_type: 'ephemeral',
      replace_original: replaceOriginal && i === 0,
      text: last ? `${message.text} (${messages.length - MAX_REPLIES} more parts not shown)` : message.text,
      blocks: message.blocks as never,
    });
  }
}

/** The buttons' labels, as the person saw them (for the failure reply). */
const BUTTON_LABELS: Record<ActionId, string> = {
  [ACTION_IDS.submit]: 'Submit for approval',
  [ACTION_IDS.cancel]: 'Cancel',
  [ACTION_IDS.approve]: 'Approve',
  [ACTION_IDS.reject]: 'Reject',
  [ACTION_IDS.alertRequestAllow]: 'Request allow',
  [ACTION_IDS.suggestRequestApproval]: 'Request approval',
  [ACTION_IDS.auditEnforce]: 'Enforce',
};

/** Where the failure reply goes: the response_url, else an ephemeral message in the channel. */
interface FailureReplyRoute {
  respond: RespondFn;
  client: AllMiddlewareArgs['client'];
  channel?: string;
  user: string;
}

/**
 * Logs a handler's failure once, with the request id, and tells the person what failed. Never
 * throws: a reply that cannot be delivered either way is logged too.
 */
async function answerFailure(
  log: Logger,
  error: unknown,
  failure: Omit<HandlerFailureInput, 'what' | 'todo'>,
  route: FailureReplyRoute,
): Promise<void> {
  const logged = {
    err: error,
    requestId: failure.requestId,
    user: failure.user,
    ...('button' in failure.doing ? { button: failure.doing.button } : {}),
  };
  log.error(logged, 'command' in failure.doing ? 'command failed' : 'click failed');
  const reply = renderHandlerFailure({ ...failure, ...describeFailure(error) });
  try {
    await route.respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: reply.text,
      blocks: reply.blocks as never,
    });
    return;
  } catch (err) {
    log.warn({ err, requestId: failure.requestId }, 'failure reply through response_url failed');
  }
  if (route.channel === undefined) return;
  try {
    await route.client.chat.postEphemeral({
      channel: route.channel,
      user: route.user,
      text: reply.text,
      blocks: reply.blocks as never,
    });
  } catch (err) {
    log.error({ err, requestId: failure.requestId }, 'failure reply could not be delivered');
  }
}

export function buildBot(deps: BotDeps): BuiltBot {
  const { config, log } = deps;
  /** The cluster a command means, for the failure reply (none when it names none and there is no default). */
  const clusterOf = (text: string): { cluster?: string } => {
    const cluster = splitCommandText(text).cluster ?? config.defaultCluster;
    return cluster === '' ? {} : { cluster };
  };
  const service = new BotService(deps);
  const clientOptions = {
    ...(config.slack.apiUrl === undefined ? {} : { slackApiUrl: config.slack.apiUrl }),
    // Slack outages must not hang a listener for half an hour (WebClient's default retry policy).
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
  };
  const app =
    config.slack.mode === 'socket'
      ? new App({
          token: config.slack.botToken,
          appToken: config.slack.appToken,
          socketMode: true,
          clientOptions,
          logger: pinoSlackLogger(log, 'bolt'),
          deferInitialization: true,
        })
      : new App({
          token: config.slack.botToken,
          signingSecret: config.slack.signingSecret as string,
          clientOptions,
          logger: pinoSlackLogger(log, 'bolt'),
          deferInitialization: true,
        });

  /** The command boundary: every /netpol command, acked at once, answered whatever happens. */
  app.command(
    '/netpol',
    async ({ command, ack, respond, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
      await ack();
      try {
        await yieldToPendingRequests();
        const messages = await service.handleCommand({
          user: command.user_id,
          channel: command.channel_id,
          text: command.text,
        });
        await reply(respond, messages, false);
      } catch (error) {
        await answerFailure(
          log,
          error,
          { doing: { command: command.text }, user: command.user_id, ...clusterOf(command.text) },
          { respond, client, channel: command.channel_id, user: command.user_id },
        );
      }
    },
  );

  /**
   * The button boundary: every button, acked at once; `handle` gets the clicker and the button's
   * value (a request or draft id: the request id in the log and the failure reply).
   */
  const onButton = (
    actionId: ActionId,
    handle: (click: { user: string; value: string; body: BlockAction }, respond: RespondFn) => Promise<void>,
  ): void => {
    app.action<BlockAction>(
      actionId,
      async ({
        ack,
        body,
        action,
        respond,
        client,
      }: SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs) => {
        await ack();
        const user = body.user.id;
        const value = (action as ButtonAction).value ?? '';
        // Approve carries `<request id>:<hash>`; the others the request (or draft) id alone.
        const { requestId } = parseDecisionButtonValue(value);
        try {
          await yieldToPendingRequests();
          await handle({ user, value, body }, respond);
        } catch (error) {
          await answerFailure(
            log,
            error,
            {
              doing: { button: BUTTON_LABELS[actionId] },
              user,
              ...(requestId === '' ? {} : { requestId }),
            },
            {
              respond,
              client,
              user,
              ...(body.channel?.id === undefined ? {} : { channel: body.channel.id }),
            },
          );
        }
      },
    );
  };

  onButton(ACTION_IDS.submit, async ({ user, value }, respond) => {
    await reply(respond, [await service.submit(user, value)], true);
  });

  onButton(ACTION_IDS.cancel, async ({ user, value }, respond) => {
    await reply(respond, [await service.cancel(user, value)], true);
  });

  for (const approve of [true, false]) {
    onButton(approve ? ACTION_IDS.approve : ACTION_IDS.reject, async ({ user, value, body }, respond) => {
      const { requestId, policyHash } = parseDecisionButtonValue(value);
      const refusal = await service.decide({
        user,
        requestId,
        approve,
        ...(policyHash === undefined ? {} : { policyHash }),
        ...(body.channel?.id === undefined ? {} : { channel: body.channel.id }),
        ...(body.message?.ts === undefined ? {} : { ts: body.message.ts }),
      });
      if (refusal !== undefined) await reply(respond, [refusal], false);
    });
  }

  // A drop alert's Request allow: the preview of allowing its flow, to the clicker (issue 10).
  const alertRequests = new AlertRequestAllow(new BotContext(deps));
  onButton(ACTION_IDS.alertRequestAllow, async ({ user, value, body }, respond) => {
    await reply(respond, [await alertRequests.click(user, body.channel?.id ?? '', value)], false);
  });

  // /netpol suggest (issue 10): ticking a flow needs only an ack (its state comes with the button's
  // click); Request approval submits the ticked flows' change.
  app.action(new RegExp(`^${SUGGEST_FLOWS_ACTION_PREFIX}`), async ({ ack }) => {
    await ack();
  });
  const suggestCtx = new BotContext(deps);
  const suggestions = new Suggestions(suggestCtx, new DraftPreviews(suggestCtx), new Approvals(suggestCtx));
  onButton(ACTION_IDS.suggestRequestApproval, async ({ user, value, body }, respond) => {
    const input = { user, channel: body.channel?.id ?? '', text: '' };
    await reply(respond, [await suggestions.requestApproval(input, value, tickedFlows(body.state))], false);
  });

  // An audit report's Enforce (issue 10): the preview of the same policies without audit mode.
  const auditCtx = new BotContext(deps);
  const auditEnforce = new AuditEnforce(auditCtx, new DraftPreviews(auditCtx));
  onButton(ACTION_IDS.auditEnforce, async ({ user, value }, respond) => {
    await reply(respond, [await auditEnforce.click(user, value)], false);
  });

  app.error(async (error) => {
    log.error({ err: error }, 'slack listener failed');
  });

  return {
    app,
    service,
    async start(options = {}) {
      await app.init();
      if (config.slack.mode === 'socket') {
        await app.start();
        return {};
      }
      const server = (await app.start({
        port: options.port ?? config.slack.port,
        host: options.host ?? config.slack.host,
      })) as Server;
      const { port, address } = server.address() as AddressInfo;
      return { port, address };
    },
    async stop() {
      await app.stop();
    },
  };
}
