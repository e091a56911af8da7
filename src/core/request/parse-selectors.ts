/**
 * Label selectors in the request language, read through a Cursor:
 *
 *   reqs = req { "," req } ;
 *   req  = key ("=" | "==" | "!=") (value | "*") | key ("in" | "notin") "(" value {"," value} ")"
 *        | "!" key | key ;
 *
 * Requirements come back raw: a key alone may yet turn out to be a pod name (`frontend/nginx`), so the
 * caller decides, and checks the keys with checkKeys once it has. Values are checked as they are read.
 */
import { labelKeyProblem, labelValueProblem } from '../k8s/names';
import type { Cursor } from './parse-cursor';
import type { SelectorRequirement, Span } from './request';
import { describe, quote, STOP_WORDS, type Token } from './tokenizer';

const LABELS_EXAMPLE = 'e.g. app=web,tier=api';

/** A label requirement as read, before the pod part decides whether a lone key is a name. */
export interface RawRequirement {
  requirement: SelectorRequirement;
  /** A key alone, without an operator. */
  bare: boolean;
  keyToken: Token;
  prefix?: string;
  span: Span;
}

/** The token `ahead` continues a label requirement: `job/tier=web` is a key with a prefix, not a Job. */
export function labelAt(c: Cursor, ahead: number): boolean {
  const token = c.peek(ahead);
  const opens = c.isWord(token, 'in', 'notin') && c.peek(ahead + 1).kind === '(';
  return token.kind === '=' || token.kind === '==' || token.kind === '!=' || token.kind === ',' || opens;
}

/** `req {"," req}`; inside `ns(...)` a lone key is a selector too, so keys are checked at once. */
export function readRequirements(c: Cursor, context: 'pods' | 'namespace'): RawRequirement[] {
  const raw = [readRequirement(c)];
  while (c.peek().kind === ',') {
    const comma = c.advance();
    const next = c.peek();
    const stop = next.spaceBefore && next.kind === 'word' && STOP_WORDS.has(next.text.toLowerCase());
    if (stop || (next.kind !== 'word' && next.kind !== '!')) {
      c.fail(
        'E_SYNTAX',
        next.kind === 'eof' ? comma : next,
        `expected a label after ",", found ${describe(next)}`,
        LABELS_EXAMPLE,
      );
    }
    raw.push(readRequirement(c));
  }
  if (context === 'namespace') checkKeys(c, raw);
  return raw;
}

export function checkKeys(c: Cursor, raw: RawRequirement[]): void {
  for (const r of raw) {
    const problem = labelKeyProblem(r.requirement.key);
    if (problem !== undefined) {
      c.invalid(
        r.keyToken,
        `label key ${quote(r.requirement.key)}: ${problem}`,
        'e.g. app=web or app.kubernetes.io/name=web',
      );
    }
  }
}

function readRequirement(c: Cursor): RawRequirement {
  const first = c.peek();
  if (first.kind === '!') {
    c.advance();
    const keyToken = c.peek();
    if (keyToken.kind !== 'word' || keyToken.spaceBefore)
      c.expected(keyToken, 'a label key after "!"', 'e.g. !canary');
    const { key, prefix } = readKey(c);
    return {
      requirement: { key, op: '!exists' },
      bare: false,
      keyToken,
      prefix,
      span: c.spanFrom(first),
    };
  }
  if (first.kind !== 'word') c.expected(first, 'a label', LABELS_EXAMPLE);
  const { key, prefix } = readKey(c);
  const made = (requirement: SelectorRequirement, bare = false): RawRequirement => ({
    requirement,
    bare,
    keyToken: first,
    prefix,
    span: c.spanFrom(first),
  });
  const op = c.peek();
  if (op.kind === '=' || op.kind === '==' || op.kind === '!=') {
    c.advance();
    const value = c.peek();
    const negated = op.kind === '!=';
    if (value.kind === '*') {
      c.advance();
      return made({ key, op: negated ? '!exists' : 'exists' });
    }
    if (value.kind === 'word' && !(value.spaceBefore && STOP_WORDS.has(value.text.toLowerCase()))) {
      c.advance();
      checkValue(c, value);
      return made({ key, op: negated ? '!=' : '=', value: value.text });
    }
    const hint = `write ${key}${op.text}VALUE, ${key}="" for an empty value, or ${key}=* for any value`;
    c.expected(value, `a value after ${quote(`${key}${op.text}`)}`, hint);
  }
  if (c.isWord(op, 'in', 'notin') && c.peek(1).kind === '(') {
    c.advance();
    c.advance();
    const values: string[] = [];
    const example = `e.g. ${key} ${op.text} (a,b)`;
    for (;;) {
      const value = c.peek();
      if (value.kind !== 'word') c.expected(value, `a value in ${quote(`${key} ${op.text} (...)`)}`, example);
      c.advance();
      checkValue(c, value);
      values.push(value.text);
      const after = c.advance();
      if (after.kind === ')') break;
      if (after.kind !== ',') c.expected(after, `"," or ")" after ${quote(value.text)}`, example);
    }
    return made({ key, op: op.text.toLowerCase() === 'in' ? 'in' : 'notin', values });
  }
  return made({ key, op: 'exists' }, true);
}

/** A label key, with its DNS prefix if written (`app.kubernetes.io/name`). */
function readKey(c: Cursor): { key: string; prefix?: string } {
  const first = c.advance();
  if (!c.tightSlashAt(0)) return { key: first.text };
  c.advance();
  return { key: `${first.text}/${c.advance().text}`, prefix: first.text };
}

function checkValue(c: Cursor, token: Token): void {
  const problem = labelValueProblem(token.text);
  if (problem !== undefined) c.invalid(token, `label value ${quote(token.text)} ${problem}`, 'e.g. app=web');
}
