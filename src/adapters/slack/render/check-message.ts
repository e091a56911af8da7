/**
 * The invariants every rendered message must keep, as one function the tests run over every output:
 * Slack's limits, a non-empty fallback, and escaping (no `<`, `>` or bare `&` in any text but the
 * mention tokens we build). Returns the problems found; empty means the message is fine.
 */
import type { Block, SlackMessage } from './blocks';
import { SLACK_LIMITS } from './blocks';
import { totalChars } from './layout';

const TOKEN = /<(@[UW][A-Z0-9]{2,}|#[CGD][A-Z0-9]{2,})>/g;

function escapingProblem(text: string): string | undefined {
  const rest = text.replace(TOKEN, '');
  if (/[<>]/.test(rest)) return `unescaped < or > in ${JSON.stringify(text.slice(0, 120))}`;
  if (/&(?!amp;|lt;|gt;)/.test(rest)) return `bare & in ${JSON.stringify(text.slice(0, 120))}`;
  return undefined;
}

function mrkdwnTexts(block: Block): string[] {
  switch (block.type) {
    case 'section':
      return [block.text, ...(block.fields ?? [])].filter((t) => t?.type === 'mrkdwn').map((t) => t!.text);
    case 'context':
      return block.elements.filter((e) => e.type === 'mrkdwn').map((e) => e.text);
    default:
      return [];
  }
}

export function messageProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  if (message.text.trim() === '') problems.push('empty fallback text');
  const fallback = escapingProblem(message.text);
  if (fallback !== undefined) problems.push(`fallback: ${fallback}`);
  if (message.blocks.length > SLACK_LIMITS.blocksPerMessage) problems.push(`${message.blocks.length} blocks`);
  if (totalChars(message.blocks) > SLACK_LIMITS.messageBlockChars) {
    problems.push(`${totalChars(message.blocks)} characters of blocks`);
  }
  message.blocks.forEach((block, i) => {
    const at = `block ${i} (${block.type})`;
    if (
      block.type === 'section' &&
      block.text !== undefined &&
      block.text.text.length > SLACK_LIMITS.sectionTextChars
    ) {
      problems.push(`${at}: section text of ${block.text.text.length} characters`);
    }
    if (block.type === 'header' && block.text.text.length > SLACK_LIMITS.headerTextChars) {
      problems.push(`${at}: header of ${block.text.text.length} characters`);
    }
    if (block.type === 'actions') {
      if (block.elements.length > SLACK_LIMITS.actionsElements)
        problems.push(`${at}: ${block.elements.length} elements`);
      for (const el of block.elements) {
        if (el.value.length === 0 || el.value.length > SLACK_LIMITS.buttonValueChars) {
          problems.push(`${at}: button value of ${el.value.length} characters`);
        }
      }
    }
    for (const text of mrkdwnTexts(block)) {
      if (text.trim() === '') problems.push(`${at}: empty text`);
      const problem = escapingProblem(text);
      if (problem !== undefined) problems.push(`${at}: ${problem}`);
    }
  });
  return problems;
}

/** Every button of a message, with its action id and value. */
export function buttonsOf(message: SlackMessage): { actionId: string; value: string }[] {
  return message.blocks.flatMap((b) =>
    b.type === 'actions' ? b.elements.map((e) => ({ actionId: e.action_id, value: e.value })) : [],
  );
}
