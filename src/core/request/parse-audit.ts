/**
 * The `--audit WINDOW` tail of a policy request (issue 10), read through a Cursor:
 *
 *   audit  = ("--" | "-") "audit" window ;      (last in allow, deny and isolate)
 *   window = digits ("s" | "m" | "h" | "d") ;   (from 10s to 30d)
 *
 * The tokenizer gives `--audit` as `-`, `-`, `audit`; one dash is read too, because Slack and phones
 * turn `--` into an em dash, which normalize-input.ts makes a single `-`. The window is kept in a
 * canonical spelling (lower case, no leading zeros) that parseAuditWindow reads, since it is written
 * as is into the policies' `netpol.io/audit` annotation.
 */
import { parseAuditWindow } from '../k8s/audit-mode';
import type { Cursor } from './parse-cursor';
import type { AuditRef } from './request';
import { describe, quote } from './tokenizer';

export const MIN_AUDIT_WINDOW = '10s';
export const MAX_AUDIT_WINDOW = '30d';
const MIN_MS = parseAuditWindow(MIN_AUDIT_WINDOW) as number;
const MAX_MS = parseAuditWindow(MAX_AUDIT_WINDOW) as number;
const UNITS = 'a whole number and a unit: s, m, h or d';
const RANGE = `from ${MIN_AUDIT_WINDOW} to ${MAX_AUDIT_WINDOW}`;
const WINDOW_HINT = `write how long to audit, ${UNITS}, ${RANGE}, e.g. --audit 1h`;

/** The next tokens are `--audit` (or `-audit`), glued together. */
export function atAudit(c: Cursor): boolean {
  if (c.peek().kind !== '-') return false;
  const second = c.peek(1);
  if (second.spaceBefore) return false;
  if (c.isWord(second, 'audit')) return true;
  const third = c.peek(2);
  return second.kind === '-' && !third.spaceBefore && c.isWord(third, 'audit');
}

/**
 * `--audit WINDOW` at the end of a policy request, or nothing; the request must end after it.
 * `example` shows the whole request with the flag last.
 */
export function readAuditTail(c: Cursor, example: string): AuditRef | undefined {
  if (!atAudit(c)) return undefined;
  const audit = readAudit(c);
  if (atAudit(c)) {
    c.fail('E_SYNTAX', c.peek(), '"--audit" is given twice', `give one audit window, ${example}`);
  }
  c.end('after the audit window', [], `--audit WINDOW comes last, ${example}`);
  return audit;
}

/** `--audit` where it means nothing (a question, help): refused, naming why. */
export function refuseAudit(c: Cursor, what: string): void {
  if (!atAudit(c)) return;
  c.fail(
    'E_SYNTAX',
    c.peek(),
    `"--audit" applies to allow, deny and isolate, not to ${what}`,
    `${what} changes nothing; remove --audit`,
  );
}

function readAudit(c: Cursor): AuditRef {
  const first = c.advance();
  if (c.peek().kind === '-') c.advance();
  c.advance();
  const token = c.peek();
  if (token.kind !== 'word' || atAudit(c)) {
    c.fail(
      'E_SYNTAX',
      token,
      `expected an audit window after "--audit", found ${describe(token)}`,
      WINDOW_HINT,
    );
  }
  c.advance();
  const text = token.text.toLowerCase();
  const match = /^(\d+)([a-z]*)$/.exec(text);
  if (match === null) c.invalid(token, `audit window ${quote(token.text)} is not a duration`, WINDOW_HINT);
  const [, digits = '', unit = ''] = match;
  if (unit === '') {
    c.invalid(
      token,
      `audit window ${quote(token.text)} has no unit`,
      `write ${UNITS}, e.g. --audit ${digits}m`,
    );
  }
  if (!['s', 'm', 'h', 'd'].includes(unit)) {
    c.invalid(token, `audit window ${quote(token.text)} has an unknown unit ${quote(unit)}`, WINDOW_HINT);
  }
  const number = digits.replace(/^0+(?=\d)/, '');
  if (number === '0') {
    c.invalid(token, `audit window ${quote(token.text)} is zero`, WINDOW_HINT);
  }
  const window = `${number}${unit}`;
  // Longer than 7 digits is past any bound; parseAuditWindow reads up to 7.
  const windowMs = number.length > 7 ? Infinity : (parseAuditWindow(window) ?? Infinity);
  if (windowMs < MIN_MS) {
    c.invalid(
      token,
      `audit window ${quote(token.text)} is too short: the shortest is ${MIN_AUDIT_WINDOW}`,
      WINDOW_HINT,
    );
  }
  if (windowMs > MAX_MS) {
    c.invalid(
      token,
      `audit window ${quote(token.text)} is too long: the longest is ${MAX_AUDIT_WINDOW}`,
      `audit for at most ${MAX_AUDIT_WINDOW}, then enforce or audit again, e.g. --audit 7d`,
    );
  }
  return { window, windowMs, span: c.spanFrom(first) };
}
