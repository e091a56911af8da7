/**
 * The Slack app: Bolt listeners that ack at once, hand the work to BotService, and answer the
 * person with ephemeral replies. HTTP receiver (signed requests on /slack/events) or Socket Mode,
 * chosen by configuration. Building never listens: `start()` does (build apart from listen).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type BlockAction, type ButtonAction, type RespondFn } from '@slack/bolt';
import type { SlackMessage } from '../adapters/slack/render';
import { ACTION_IDS, parseDecisionButtonValue } from '../adapters/slack/render/action-ids';
import { pinoSlackLogger } from '../adapters/slack/outbound';
import type { BotDeps } from './bot-deps';
import { BotService } from './bot-service';

/** response_url takes at most 5 replies; longer answers are cut with a note. */
const MAX_REPLIES = 5;

export interface BuiltBot {
  app: App;
  service: BotService;
  /** Listens (HTTP: on `port`, 0 = any free port) or connects (Socket Mode); returns the HTTP port. */
  start(options?: { port?: number; host?: string }): Promise<{ port?: number }>;
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

export function buildBot(deps: BotDeps): BuiltBot {
  const { config, log } = deps;
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

  app.command('/netpol', async ({ command, ack, respond }) => {
    await ack();
    await yieldToPendingRequests();
    const messages = await service.handleCommand({
      user: command.user_id,
      channel: command.channel_id,
      text: command.text,
    });
    await reply(respond, messages, false);
  });

  const button = (body: BlockAction, action: unknown) => ({
    user: body.user.id,
    value: (action as ButtonAction).value ?? '',
  });

  app.action<BlockAction>(ACTION_IDS.submit, async ({ ack, body, action, respond }) => {
    await ack();
    await yieldToPendingRequests();
    const { user, value } = button(body, action);
    await reply(respond, [await service.submit(user, value)], true);
  });

  app.action<BlockAction>(ACTION_IDS.cancel, async ({ ack, body, action, respond }) => {
    await ack();
    await yieldToPendingRequests();
    const { user, value } = button(body, action);
    await reply(respond, [await service.cancel(user, value)], true);
  });

  for (const approve of [true, false]) {
    app.action<BlockAction>(
      approve ? ACTION_IDS.approve : ACTION_IDS.reject,
      async ({ ack, body, action, respond }) => {
        await ack();
        await yieldToPendingRequests();
        const { user, value } = button(body, action);
        // Approve carries `<request id>:<hash>` (the hash its card showed); Reject the id alone.
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
      },
    );
  }

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
        host: options.host ?? '0.0.0.0',
      })) as Server;
      return { port: (server.address() as AddressInfo).port };
    },
    async stop() {
      await app.stop();
    },
  };
}
