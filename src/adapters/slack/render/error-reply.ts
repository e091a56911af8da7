/**
 * An error as a reply: a NetpolError's code, message and hint, with the request echoed in a code
 * block and a caret under the column it points at. Anything else is a bug: the person is told so,
 * without internals (they go to the log, where the bot handles the error).
 */
import { isNetpolError, type NetpolError } from '../../../core/errors';
import { type Block, context, message, section, type SlackMessage } from './blocks';
import { codeBlock, escapeMrkdwn, fitText } from './mrkdwn';
import { clusterName, whereAndWho } from './parts';

export interface ErrorContext {
  /** Absent when the command named no (configured) cluster: the footer then names none. */
  cluster?: string;
  /** What was typed: echoed, with a caret under the error's column. */
  text: string;
  /**
   * Characters of `text` before the part the error's column counts in (`@prod ` before a request):
   * added to the column shown and to the caret, so both count from the start of `text`. Default 0.
   */
  columnOffset?: number;
  /** The person who asked (Slack user ID). */
  user?: string;
}

/** Wider than this, the echo shows a window around the column. */
const ECHO_WIDTH = 100;

/** The text and a caret under 1-based `column`, windowed around it when the text is long. */
export function caretEcho(text: string, column: number): string {
  const flat = text.replace(/\s/g, ' ');
  const at = Math.max(0, Math.min(column - 1, flat.length));
  if (flat.length <= ECHO_WIDTH) return `${flat}\n${' '.repeat(at)}^`;
  const start = Math.max(0, Math.min(at - ECHO_WIDTH / 2, flat.length - ECHO_WIDTH));
  const end = Math.min(flat.length, start + ECHO_WIDTH);
  const prefix = start > 0 ? '…' : '';
  const suffix = end < flat.length ? '…' : '';
  return `${prefix}${flat.slice(start, end)}${suffix}\n${' '.repeat(prefix.length + at - start)}^`;
}

export function renderError(error: NetpolError | Error, where: ErrorContext): SlackMessage {
  const footer = context(
    `${whereAndWho(where.cluster, where.user)} · \`/netpol help\` shows the request language`,
  );
  if (!isNetpolError(error)) {
    const on = where.cluster === undefined ? '' : ` on cluster ${clusterName(where.cluster)}`;
    const plainOn = where.cluster === undefined ? '' : ` on cluster ${escapeMrkdwn(where.cluster)}`;
    return message(`netpol failed${plainOn}: internal error`, [
      section(
        `:boom: Something went wrong on our side while handling this${on}. ` +
          'It is in the logs; try again, and tell the netpol operators if it persists.',
      ),
      footer,
    ]);
  }
  const at = error.column === undefined ? undefined : error.column + (where.columnOffset ?? 0);
  const column = at === undefined ? '' : ` (column ${at})`;
  const blocks: Block[] = [section(`:x: \`${error.code}\`${column}: ${fitText(error.message, 2000)}`)];
  if (where.text.trim() !== '') {
    const echo = at === undefined ? where.text : caretEcho(where.text, at);
    blocks.push(section(codeBlock(echo.length > 2000 ? `${echo.slice(0, 2000)}…` : echo)));
  }
  if (error.hint !== undefined && error.hint.trim() !== '') {
    blocks.push(section(`:bulb: ${fitText(error.hint, 2000)}`));
  }
  blocks.push(footer);
  return message(`${error.code}${column}: ${escapeMrkdwn(error.message)}`, blocks);
}
