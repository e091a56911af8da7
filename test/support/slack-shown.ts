/** What a person reads of a Slack message, for tests that assert on it. No behaviour of its own. */
import type { SlackMessage } from '../../src/adapters/slack/render';

/** Everything a person reads in a reply: its fallback text and every text in its blocks, unescaped. */
export function shown(message: SlackMessage | undefined): string {
  if (message === undefined) return '';
  const texts: string[] = [message.text];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'text' && typeof inner === 'string') texts.push(inner);
        else walk(inner);
      }
    }
  };
  walk(message.blocks);
  return texts.join('\n').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
