/**
 * Splits a normalised request into tokens with their spans. Total: every character either joins a
 * token or is whitespace or a quote, so the tokenizer never fails; deciding what is wrong is the
 * parser's job, which can then name the whole offending word.
 *
 * Words are maximal runs of anything that is not whitespace, punctuation of the grammar or a quote.
 * A `-` belongs to a word only between word characters (`kube-system`, `8000-8100`, `both-sides`), so
 * `8000 - 8100` and a stray leading dash come out as `-` tokens. Quotes only separate: `app="web"`
 * reads as `app=web`; an empty pair (`""`) is an empty word, the one way to write an empty label value.
 */

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

const SINGLE: Record<string, TokenKind> = {
  '/': '/',
  '|': '|',
  ',': ',',
  '(': '(',
  ')': ')',
  '*': '*',
  '?': '?',
};

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

function isQuote(ch: string): boolean {
  return ch === '"' || ch === "'";
}

function isWordChar(ch: string): boolean {
  return !isSpace(ch) && !isQuote(ch) && SINGLE[ch] === undefined && ch !== '=' && ch !== '!' && ch !== '-';
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
    } else if (SINGLE[ch] !== undefined) {
      push(SINGLE[ch], i, i + 1);
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
