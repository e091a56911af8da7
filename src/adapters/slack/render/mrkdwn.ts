/**
 * Text for Slack's mrkdwn: escaping (Slack wants &, < and > escaped everywhere, code blocks
 * included), mentions by ID, inline code and code blocks that user text cannot break out of, and
 * times. Pure: times are formatted from the ISO strings and the `now` the caller passes.
 */

/** Escape user-provided text: `&`, `<`, `>` become entities, so nothing in it is a link or mention. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const MENTION_TOKEN = /<(@[UW][A-Z0-9]{2,}|#[CGD][A-Z0-9]{2,})>/g;

export function isSlackUserId(id: string): boolean {
  return USER_ID.test(id);
}

/** `<@U123>`; anything that is not a user ID is shown as escaped text, never as a link. */
export function mention(userId: string): string {
  return isSlackUserId(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/** `<#C123>`; anything else as escaped text. */
export function channelMention(channelId: string): string {
  return CHANNEL_ID.test(channelId) ? `<#${channelId}>` : escapeMrkdwn(channelId);
}

/**
 * Escape text the bot wrote, keeping its `<@U…>` and `<#C…>` mention tokens working (refusals such
 * as "already approved by <@U2>"). Never use for text a user typed.
 */
export function escapeKeepingMentions(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(MENTION_TOKEN)) {
    out += escapeMrkdwn(text.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + escapeMrkdwn(text.slice(last));
}

/** Inline code: a backtick would end it, so it becomes a look-alike. */
export function code(text: string): string {
  return `\`${escapeMrkdwn(text.replace(/`/g, 'ˋ').replace(/\n/g, ' '))}\``;
}

/** Keeps ``` inside user text from closing the block (zero-width spaces between the backticks). */
function defuseFences(text: string): string {
  return text.replace(/```/g, '`\u200b`\u200b`');
}

/** A code block of text that is already escaped (see fitLines). */
export function codeBlockEscaped(escaped: string): string {
  return `\`\`\`${escaped === '' ? ' ' : escaped}\`\`\``;
}

/** A code block of raw text. */
export function codeBlock(text: string): string {
  return codeBlockEscaped(escapeMrkdwn(defuseFences(text)));
}

export interface FittedText {
  /** Escaped text (for a code block: defused too). */
  text: string;
  shownLines: number;
  totalLines: number;
  truncated: boolean;
}

/**
 * As many whole lines of `raw` as fit in `max` escaped characters; a first line too long on its
 * own is cut. For code blocks pass `{ code: true }` so fences are defused.
 */
export function fitLines(raw: string, max: number, options: { code?: boolean } = {}): FittedText {
  const lines = raw.replace(/\n+$/, '').split('\n');
  const prepare = (s: string): string => escapeMrkdwn(options.code === true ? defuseFences(s) : s);
  const out: string[] = [];
  let used = 0;
  for (const line of lines) {
    const escaped = prepare(line);
    const cost = escaped.length + (out.length === 0 ? 0 : 1);
    if (used + cost > max) {
      if (out.length === 0) {
        // One enormous line: cut it on raw characters so no entity is split.
        let cut = line;
        while (cut.length > 0 && prepare(cut).length > max - 1)
          cut = cut.slice(0, Math.floor(cut.length * 0.9));
        out.push(`${prepare(cut)}…`);
      }
      return { text: out.join('\n'), shownLines: out.length, totalLines: lines.length, truncated: true };
    }
    out.push(escaped);
    used += cost;
  }
  return { text: out.join('\n'), shownLines: out.length, totalLines: lines.length, truncated: false };
}

/** Escaped text of at most `max` characters, cut at a word when it must be cut. */
export function fitText(raw: string, max: number): string {
  const escaped = escapeMrkdwn(raw);
  if (escaped.length <= max) return escaped;
  let cut = raw;
  while (cut.length > 0 && escapeMrkdwn(cut).length > max - 1)
    cut = cut.slice(0, Math.floor(cut.length * 0.95));
  const space = cut.lastIndexOf(' ');
  if (space > cut.length * 0.8) cut = cut.slice(0, space);
  return `${escapeMrkdwn(cut)}…`;
}

/** Characters Slack's mrkdwn formats with: bold, italic, strike, code. */
const FORMATTING = /[*_~`]/;

/**
 * Text a person typed (a request as typed, a reject reason), shown exactly as typed, at most `max`
 * characters, cut at a word. Slack's mrkdwn has no escape for `*`, `_`, `~` or backticks (its
 * formatting guide escapes only &, < and >), but formats nothing inside inline code: text holding
 * any of them goes in inline code, its backticks as look-alikes (a backtick would close the code)
 * and its line breaks as spaces. Text without them reads as it always did.
 */
export function verbatim(raw: string, max: number): string {
  if (!FORMATTING.test(raw)) return fitText(raw, max);
  const flat = raw
    .replace(/`/g, 'ˋ')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  return `\`${fitText(flat === '' ? ' ' : flat, Math.max(max - 2, 1))}\``;
}

/** `2026-11-22 10:01 UTC`; an unparseable value is shown as given (escaped). */
export function formatUtc(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  const d = new Date(ms).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)} UTC`;
}

/** `3 d 4 h`, `2 h 5 min`, `7 min`, `less than a minute`: the coarse gap between two instants. */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  if (minutes < 1) return 'less than a minute';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return mins > 0 ? `${hours} h ${mins} min` : `${hours} h`;
  return `${mins} min`;
}

/** `in 2 h 5 min` / `5 min ago`, or undefined when either time is unparseable. */
export function relativeTo(iso: string, nowIso: string): string | undefined {
  const at = Date.parse(iso);
  const now = Date.parse(nowIso);
  if (Number.isNaN(at) || Number.isNaN(now)) return undefined;
  const gap = formatDuration(at - now);
  if (gap === 'less than a minute') return at >= now ? 'in less than a minute' : 'just now';
  return at >= now ? `in ${gap}` : `${gap} ago`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** `a`, `a and b`, `a, b and c`. */
export function joinAnd(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
