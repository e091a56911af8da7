/**
 * The token cursor the request parser reads through: position and lookahead over the tokens of one
 * normalised request, spans, and the NetpolErrors every part of the parser throws, each with the
 * 1-based column of the offending word and a hint. One cursor per parseRequest call, used by one call
 * stack: it holds the only mutable state of a parse (the position and the spaced pod word).
 */
import { NetpolError, type ErrorCode } from '../errors';
import type { Span } from './request';
import { closestWord, describe, didYouMean, MAX_QUOTED, quote, type Token } from './tokenizer';

/** `"a", "b" or "c"`. */
function listOf(items: string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

export function spanOf(token: Token): Span {
  return { start: token.start, end: token.end };
}

export class Cursor {
  private pos = 0;
  /** The pod part just read, if it was one bare word written after a space (see parser.ts). */
  spacedPodWord: Token | undefined;

  constructor(
    readonly text: string,
    private readonly tokens: Token[],
  ) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.max(0, Math.min(this.pos + ahead, this.tokens.length - 1))] as Token;
  }

  advance(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos += 1;
    return token;
  }

  spanFrom(first: Token): Span {
    return { start: first.start, end: (this.tokens[this.pos - 1] as Token).end };
  }

  isWord(token: Token, ...words: string[]): boolean {
    return token.kind === 'word' && words.includes(token.text.toLowerCase());
  }

  /** A `/` glued to the tokens on both sides, as in `app.kubernetes.io/name` or `deploy/web`. */
  tightSlashAt(ahead: number): boolean {
    const slash = this.peek(ahead);
    const after = this.peek(ahead + 1);
    return slash.kind === '/' && !slash.spaceBefore && after.kind === 'word' && !after.spaceBefore;
  }

  /** Consumes the next token if it is `kind`. */
  eat(kind: Token['kind']): boolean {
    if (this.peek().kind !== kind) return false;
    this.advance();
    return true;
  }

  /** The characters from a token to the next space, for messages. */
  textFrom(token: Token): string {
    let end = token.end;
    for (let i = this.tokens.indexOf(token) + 1; i < this.tokens.length; i += 1) {
      const t = this.tokens[i] as Token;
      if (t.spaceBefore || t.kind === 'eof') break;
      end = t.end;
    }
    return this.text.slice(token.start, Math.min(end, token.start + MAX_QUOTED));
  }

  fail(code: ErrorCode, at: Token | number, message: string, hint: string): never {
    const start = typeof at === 'number' ? at : at.start;
    throw new NetpolError(code, message, { column: start + 1, hint });
  }

  expected(at: Token, what: string, hint: string): never {
    this.fail('E_SYNTAX', at, `expected ${what}, found ${describe(at)}`, hint);
  }

  invalid(at: Token, message: string, hint: string): never {
    this.fail('E_INVALID_VALUE', at, message, hint);
  }

  /** The next token should have been one of `words` (named in the message) or `more` (accepted too). */
  missing(words: string[], where: string, hint: string, more: string[] = []): never {
    const token = this.peek();
    const candidates = [...words, ...more];
    const expected = listOf(words.map((w) => `"${w}"`));
    this.blameSpacedWord(expected, where, candidates, false);
    const guessHint = token.kind === 'word' ? didYouMean(token.text, candidates, hint) : hint;
    this.fail('E_SYNTAX', token, `expected ${expected} ${where}, found ${describe(token)}`, guessHint);
  }

  /** The request must end here; `words` could have come instead. */
  end(where: string, words: string[], hint: string, more: string[] = []): void {
    const token = this.peek();
    const candidates = [...words, ...more];
    const expected = listOf([...words.map((w) => `"${w}"`), 'the end of the request']);
    this.blameSpacedWord(expected, where, candidates, token.kind === 'eof');
    if (token.kind === 'eof') return;
    const guessHint = token.kind === 'word' ? didYouMean(token.text, candidates, hint) : hint;
    this.fail('E_SYNTAX', token, `expected ${expected} ${where}, found ${describe(token)}`, guessHint);
  }

  expectWord(word: string, where: string, hint: string): void {
    if (!this.isWord(this.peek(), word)) this.missing([word], where, hint);
    this.advance();
  }

  /**
   * A keyword is missing. If the token before it was a pod name written after a space and a near miss
   * of an expected keyword (`allow frontend too backend`), that word is the real mistake. At the end of
   * the request only near misses of long keywords count (`allow a to b bothsides`): a short pod name
   * there is most likely meant.
   */
  private blameSpacedWord(expected: string, where: string, candidates: string[], atEnd: boolean): void {
    const previous = this.spacedPodWord;
    if (previous === undefined || this.tokens[this.pos - 1] !== previous) return;
    const guess = closestWord(previous.text, atEnd ? candidates.filter((w) => w.length >= 6) : candidates);
    if (guess === undefined) return;
    this.fail(
      'E_SYNTAX',
      previous,
      `expected ${expected} ${where}, found ${quote(previous.text)}`,
      `did you mean "${guess}"? For pods named ${quote(previous.text)}, write NAMESPACE/${previous.text}`,
    );
  }
}
