/**
 * Ephemeral refusals: why a click or a command was not acted on. Typed refusals are worded here
 * (with mentions built from IDs); a string refusal is the bot's own sentence, escaped except for its
 * `<@U…>` / `<#C…>` mention tokens.
 */
import type { RequestState } from '../../../contracts/request-record';
import { type Block, context, message, section, type SlackMessage } from './blocks';
import { code, escapeKeepingMentions, escapeMrkdwn, fitText, formatUtc, joinAnd, mention } from './mrkdwn';
import { whereAndWho } from './parts';

export type Refusal =
  | { kind: 'not-approver'; namespaces: readonly string[] }
  | { kind: 'self-approval' }
  | { kind: 'already-decided'; state: RequestState; by?: string; at?: string }
  | { kind: 'expired'; at?: string }
  | { kind: 'not-found'; requestId?: string }
  | { kind: 'not-yours' };

export function refusalText(refusal: Refusal): string {
  switch (refusal.kind) {
    case 'not-approver':
      return `you are not an approver for ${joinAnd(refusal.namespaces.map(code))}`;
    case 'self-approval':
      return 'you cannot approve your own request: another approver must';
    case 'already-decided': {
      const state = refusal.state === 'pending-approval' ? 'pending' : refusal.state;
      const by = refusal.by === undefined ? '' : ` by ${mention(refusal.by)}`;
      const at = refusal.at === undefined ? '' : ` at ${formatUtc(refusal.at)}`;
      return `already ${state}${by}${at}`;
    }
    case 'expired':
      return `this request expired${refusal.at === undefined ? '' : ` at ${formatUtc(refusal.at)}`}; nothing was applied`;
    case 'not-found':
      return `this request ${refusal.requestId === undefined ? '' : `(${code(refusal.requestId)}) `}does not exist (any more)`;
    case 'not-yours':
      return 'only the person who asked can submit or cancel this preview';
  }
}

/**
 * Why a change cannot be submitted when no worker has reported its cluster: it was
 * never checked against what runs there. `lastSeen`: ISO-8601 of the cluster's last snapshot.
 */
export function uncheckedClusterText(cluster: string, lastSeen: string | undefined): string {
  const seen =
    lastSeen === undefined
      ? 'never seen: no worker has reported it yet'
      : `last seen at ${formatUtc(lastSeen)}`;
  return (
    `this change was never checked against cluster *${escapeMrkdwn(cluster)}* (${seen}). ` +
    'Start (or fix) the cluster’s worker, then run the command again.'
  );
}

export interface RefusalContext {
  cluster?: string;
  /** The person refused (Slack user ID). */
  user?: string;
}

export function renderRefusal(refusal: Refusal | string, where: RefusalContext = {}): SlackMessage {
  const text = typeof refusal === 'string' ? botText(refusal) : refusalText(refusal);
  const blocks: Block[] = [section(`:no_entry_sign: ${text}`)];
  const line = whereAndWho(where.cluster, where.user);
  if (line !== '') blocks.push(context(line));
  return message(text, blocks);
}

/** Bot-written text, escaped but for its mention tokens, within a section. */
function botText(text: string): string {
  const escaped = escapeKeepingMentions(text);
  return escaped.length <= 2800 ? escaped : fitText(text, 2800);
}
