/**
 * The reply to a click or a command that failed on netpol's side (a dependency down, a bug): what
 * the person was doing, what failed, what to do, and the request id they can quote to the operators
 * (the error log carries the same id). Never the error's own message: internals go to the log.
 */
import { type Block, context, message, section, type SlackMessage } from './blocks';
import { code, escapeMrkdwn } from './mrkdwn';
import { whereAndWho } from './parts';

export interface HandlerFailureInput {
  /** What the person did: typed a command (the text after /netpol), or clicked a button (its label). */
  doing: { command: string } | { button: string };
  /** What failed, e.g. "netpol's Redis (the request store) is unreachable" (bot-written, plain). */
  what: string;
  /** What to do about it (bot-written, plain). */
  todo: string;
  /** The request concerned, when there is one. */
  requestId?: string;
  cluster?: string;
  /** The person (Slack user ID). */
  user?: string;
}

export function renderHandlerFailure(input: HandlerFailureInput): SlackMessage {
  const reference = input.requestId === undefined ? '' : ` (request ${code(input.requestId)})`;
  const doing =
    'command' in input.doing
      ? `Your command ${code(`/netpol ${input.doing.command}`.trim())}`
      : `Your click on *${escapeMrkdwn(input.doing.button)}*`;
  const blocks: Block[] = [
    section(
      `:warning: ${doing} failed${reference}: ${escapeMrkdwn(input.what)}.\n` +
        `:bulb: ${escapeMrkdwn(input.todo)}.`,
    ),
  ];
  const line = whereAndWho(input.cluster, input.user);
  if (line !== '') blocks.push(context(line));
  const plainReference = input.requestId === undefined ? '' : ` (request ${input.requestId})`;
  return message(
    `netpol failed${escapeMrkdwn(plainReference)}: ${escapeMrkdwn(input.what)}. ${escapeMrkdwn(input.todo)}.`,
    blocks,
  );
}
