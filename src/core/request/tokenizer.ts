/**
 * Splits a normalised request into tokens with their spans, and holds the vocabulary the parser gives
 * a meaning to (keywords, object kinds, protocols) with the helpers that spot a misspelt word. Total:
 * every character either joins a token or is whitespace or a quote, so the tokenizer never fails;
 * deciding what is wrong is the parser's job, which can then name the whole offending word.
 *
 * Words are maximal runs of anything that is not whitespace, punctuation of the grammar or a quote.
 * A `-` belongs to a word only between word characters (`kube-system`, `8000-8100`, `both-sides`), so
 * `8000 - 8100` and a stray leading dash come out as `-` tokens. Quotes only separate: `app="web"`
 * reads as `app=web`; an empty pair (`""`) is an empty word, the one way to write an empty label value.
 */
import type { Protocol } from '../k8s/types';
import type { Direction, Keyword, WorkloadRefKind } from './request';
import { editDistance } from './suggest';

export type TokenKind =
  'word' | '/' | '|' | ',' | '(' | ')' | '=' | '==' | '!=' | '!' | '*' | '?' | '-' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The characters of the token as written (for an empty quoted word, the empty string). */
  text: string;
  /** 0-based offsets into the normalised text; `end` is exclusive. */
  start: number;
  end: number;
  /** Whitespace separates this token from the previous one (or it is the first token). */
  spaceBefore: boolean;
}

/** The one-character tokens (a Map: an input character is never looked up on Object.prototype). */
const SINGLE = new Map<string, TokenKind>([
  ['/', '/'],
  ['|', '|'],
  [',', ','],
  ['(', '('],
  [')', ')'],
  ['*', '*'],
  ['?', '?'],
]);

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

function isQuote(ch: string): boolean {
  return ch === '"' || ch === "'";
}

function isWordChar(ch: string): boolean {
  return !isSpace(ch) && !isQuote(ch) && !SINGLE.has(ch) && ch !== '=' && ch !== '!' && ch !== '-';
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let spaceBefore = true;
  const push = (kind: TokenKind, start: number, end: number, tokenText = text.slice(start, end)): void => {
    tokens.push({ kind, text: tokenText, start, end, spaceBefore });
    spaceBefore = false;
  };
  while (i < text.length) {
    const ch = text[i] as string;
    const next = text[i + 1] ?? '';
    if (isSpace(ch)) {
      spaceBefore = true;
      i += 1;
    } else if (isQuote(ch)) {
      if (next === ch) {
        push('word', i, i + 2, '');
        i += 2;
      } else {
        i += 1;
      }
    } else if (ch === '=') {
      push(next === '=' ? '==' : '=', i, next === '=' ? i + 2 : i + 1);
      i += next === '=' ? 2 : 1;
    } else if (ch === '!') {
      push(next === '=' ? '!=' : '!', i, next === '=' ? i + 2 : i + 1);
      i += next === '=' ? 2 : 1;
    } else if (ch === '-') {
      push('-', i, i + 1);
      i += 1;
    } else if (SINGLE.has(ch)) {
      push(SINGLE.get(ch) as TokenKind, i, i + 1);
      i += 1;
    } else {
      const start = i;
      while (i < text.length) {
        const c = text[i] as string;
        if (isWordChar(c)) {
          i += 1;
          continue;
        }
        if (c !== '-') break;
        let j = i;
        while (text[j] === '-') j += 1;
        if (j < text.length && isWordChar(text[j] as string)) i = j;
        else break;
      }
      push('word', start, i);
    }
  }
  tokens.push({ kind: 'eof', text: '', start: text.length, end: text.length, spaceBefore: true });
  return tokens;
}

// ---- The vocabulary: the words the parser gives a meaning to, and how to spot a misspelt one ----

export const VERBS = ['allow', 'deny', 'isolate', 'can', 'who', 'what', 'help'];

/** Words that end a pod part written after a space (`frontend nginx to ...`). */
export const STOP_WORDS = new Set([
  'to',
  'from',
  'on',
  'port',
  'ports',
  'or',
  'and',
  'except',
  'reach',
  'both-sides',
  'both',
]);

export const KEYWORDS = new Map<string, Keyword>([
  ['dns', 'dns'],
  ['cluster', 'cluster'],
  ['world', 'world'],
  ['public', 'public'],
]);

/** kubectl's names and short names of the objects a pod part may name (`deploy/web`). */
export const KINDS = new Map<string, WorkloadRefKind>(
  Object.entries({
    deploy: 'deployment',
    deployment: 'deployment',
    sts: 'statefulset',
    statefulset: 'statefulset',
    ds: 'daemonset',
    daemonset: 'daemonset',
    rs: 'replicaset',
    replicaset: 'replicaset',
    job: 'job',
    cronjob: 'cronjob',
    cj: 'cronjob',
    svc: 'service',
    service: 'service',
    pod: 'pod',
    po: 'pod',
  } satisfies Record<string, WorkloadRefKind>),
);

export const PROTOCOLS = new Map<string, Protocol>([
  ['tcp', 'TCP'],
  ['udp', 'UDP'],
  ['sctp', 'SCTP'],
]);

export const DIRECTIONS = new Map<string, Direction>([
  ['ingress', 'ingress'],
  ['egress', 'egress'],
  ['all', 'all'],
  ['both', 'all'],
]);

/** Longest word quoted whole in a message. */
export const MAX_QUOTED = 40;

/** A word for a message: quoted, escaped and shortened, so that the message stays one line. */
export function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);
}

export function describe(token: Token): string {
  return token.kind === 'eof' ? 'the end of the request' : quote(token.text);
}

/** The candidate a misspelt word was probably meant to be: one edit away for short words, two for longer. */
export function closestWord(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  if (lower.length === 0 || lower.length > 30) return undefined;
  const limit = lower.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - lower.length) > limit) continue;
    const d = editDistance(lower, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

export function didYouMean(word: string, candidates: Iterable<string>, otherwise: string): string {
  const guess = closestWord(word, candidates);
  return guess === undefined ? otherwise : `did you mean "${guess}"? ${otherwise}`;
}

/** Digits and dots, or hex digits with colons: an IP address, maybe mistyped, never a name. */
export function looksLikeAddress(word: string): boolean {
  return (
    (/^[0-9.]+$/.test(word) && word.includes('.')) || (word.includes(':') && /^[0-9a-fA-F:.]+$/.test(word))
  );
}
