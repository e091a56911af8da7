/**
 * How a test delivers what a person does in Slack (a slash command, a button click) to the app, over
 * either of the two transports Slack offers: signed HTTP requests to Bolt's receiver, or envelopes on
 * a Socket Mode connection (socket-mode-stand-in.ts). Both build the payload with the same helpers
 * (slack-signer.ts), so a scenario written against this interface runs unchanged over both.
 */
import {
  blockActionsBody,
  blockActionsPayload,
  postToBolt,
  slashCommandBody,
  type BlockActionsOptions,
  type SlashCommandFields,
} from './slack-signer';
import type { SocketModeStandIn } from './socket-mode-stand-in';

export type SlackTransportKind = 'http' | 'socket';

/** The app's acknowledgement of one delivery. */
export interface AppAck {
  transport: SlackTransportKind;
  /** The HTTP status; over Socket Mode 200 once the ack arrived (no ack in time rejects instead). */
  status: number;
  /** Bolt's HTTP response body, or the Socket Mode ack's payload as JSON ('' for a bare ack()). */
  body: string;
  elapsedMs: number;
}

export interface SlackAppTransport {
  readonly kind: SlackTransportKind;
  slash(fields: SlashCommandFields): Promise<AppAck>;
  blockActions(options: BlockActionsOptions): Promise<AppAck>;
}

export function httpTransport(eventsUrl: string, signingSecret: string): SlackAppTransport {
  const post = async (body: string): Promise<AppAck> => {
    const { status, body: text, elapsedMs } = await postToBolt(eventsUrl, body, { signingSecret });
    return { transport: 'http', status, body: text, elapsedMs };
  };
  return {
    kind: 'http',
    slash: (fields) => post(slashCommandBody(fields)),
    blockActions: (options) => post(blockActionsBody(options)),
  };
}

export function socketModeTransport(socket: SocketModeStandIn): SlackAppTransport {
  const acked = ({
    payload,
    elapsedMs,
  }: {
    payload: Record<string, unknown>;
    elapsedMs: number;
  }): AppAck => ({
    transport: 'socket',
    status: 200,
    body: Object.keys(payload).length === 0 ? '' : JSON.stringify(payload),
    elapsedMs,
  });
  return {
    kind: 'socket',
    // Over Socket Mode a slash command's payload carries the HTTP form's fields, all strings.
    slash: async (fields) =>
      acked(await socket.slashCommand(Object.fromEntries(new URLSearchParams(slashCommandBody(fields))))),
    blockActions: async (options) => acked(await socket.interactive(blockActionsPayload(options))),
  };
}
