import { NetpolError } from '../errors';
import { parseAuditWindow } from '../k8s/audit-mode';
import { enforcedCommand, formatRequest, withoutAudit } from './format-request';
import { normalizeInput } from './normalize-input';
import { parseRequest } from './parser';

function failure(text: string): NetpolError {
  try {
    parseRequest(text);
  } catch (error) {
    if (error instanceof NetpolError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

/** code, message, hint, and the text the column points at. */
function refusal(text: string): [string, string, string, string] {
  const e = failure(text);
  const at = normalizeInput(text).slice((e.column ?? 0) - 1);
  return [e.code, e.message, e.hint ?? '', at];
}

describe('--audit WINDOW', () => {
  it.each([
    ['deny all in backend --audit 1h', 'deny all in backend --audit 1h', '1h', 3_600_000],
    [
      'deny ingress in backend except dns --audit 30m',
      'deny ingress in backend except dns --audit 30m',
      '30m',
      1_800_000,
    ],
    [
      'deny egress from a/app=x except b on 80 --audit 90s',
      'deny egress from a/app=x except b/* on tcp/80 --audit 90s',
      '90s',
      90_000,
    ],
    ['allow a to b on 8080 --audit 2D', 'allow a/* to b/* on tcp/8080 --audit 2d', '2d', 172_800_000],
    ['allow a to b --audit 1h', 'allow a/* to b/* on any --audit 1h', '1h', 3_600_000],
    ['allow a to b on tcp --audit 10s', 'allow a/* to b/* on tcp --audit 10s', '10s', 10_000],
    [
      'allow a to b both-sides --audit 30d',
      'allow a/* to b/* on any both-sides --audit 30d',
      '30d',
      2_592_000_000,
    ],
    ['isolate backend --audit 01h', 'isolate backend --audit 1h', '1h', 3_600_000],
    // Slack turns "--" into an em dash, which the normaliser makes one "-".
    ['deny all in backend \u2014audit 1h', 'deny all in backend --audit 1h', '1h', 3_600_000],
    ['allow a to b on 80 -audit 60m', 'allow a/* to b/* on tcp/80 --audit 60m', '60m', 3_600_000],
  ])('%s → %s', (input, canonical, window, windowMs) => {
    const request = parseRequest(input);
    expect(formatRequest(request)).toBe(canonical);
    expect('audit' in request && request.audit).toMatchObject({ window, windowMs });
    expect(parseAuditWindow(window)).toBe(windowMs);
    expect(formatRequest(parseRequest(canonical))).toBe(canonical);
  });

  it('leaves requests without --audit as they were', () => {
    const request = parseRequest('deny all in backend');
    expect('audit' in request).toBe(false);
    expect(formatRequest(request)).toBe('deny all in backend');
  });

  it('gives the enforced twin of an audit request, as a request and as canonical text', () => {
    const request = parseRequest('deny all in backend except dns --audit 1h');
    expect(formatRequest(withoutAudit(request))).toBe('deny all in backend except dns');
    expect(enforcedCommand(formatRequest(request))).toBe('deny all in backend except dns');
    expect(enforcedCommand('allow a/* to b/* on tcp/80 --audit 30m')).toBe('allow a/* to b/* on tcp/80');
    expect(enforcedCommand('deny all in backend')).toBe('deny all in backend');
  });

  it.each([
    [
      'deny all in backend --audit',
      'E_SYNTAX',
      'expected an audit window after "--audit", found the end of the request',
      'write how long to audit, a whole number and a unit: s, m, h or d, from 10s to 30d, e.g. --audit 1h',
      '',
    ],
    [
      'deny all in backend --audit soon',
      'E_INVALID_VALUE',
      'audit window "soon" is not a duration',
      'write how long to audit, a whole number and a unit: s, m, h or d, from 10s to 30d, e.g. --audit 1h',
      'soon',
    ],
    [
      'deny all in backend --audit 0s',
      'E_INVALID_VALUE',
      'audit window "0s" is zero',
      'write how long to audit, a whole number and a unit: s, m, h or d, from 10s to 30d, e.g. --audit 1h',
      '0s',
    ],
    [
      'deny all in backend --audit 5s',
      'E_INVALID_VALUE',
      'audit window "5s" is too short: the shortest is 10s',
      'write how long to audit, a whole number and a unit: s, m, h or d, from 10s to 30d, e.g. --audit 1h',
      '5s',
    ],
    [
      'deny all in backend --audit 31d',
      'E_INVALID_VALUE',
      'audit window "31d" is too long: the longest is 30d',
      'audit for at most 30d, then enforce or audit again, e.g. --audit 7d',
      '31d',
    ],
    [
      'deny all in backend --audit 99999999999999999999s',
      'E_INVALID_VALUE',
      'audit window "99999999999999999999s" is too long: the longest is 30d',
      'audit for at most 30d, then enforce or audit again, e.g. --audit 7d',
      '99999999999999999999s',
    ],
    [
      'deny all in backend --audit 30',
      'E_INVALID_VALUE',
      'audit window "30" has no unit',
      'write a whole number and a unit: s, m, h or d, e.g. --audit 30m',
      '30',
    ],
    [
      'deny all in backend --audit 1hour',
      'E_INVALID_VALUE',
      'audit window "1hour" has an unknown unit "hour"',
      'write how long to audit, a whole number and a unit: s, m, h or d, from 10s to 30d, e.g. --audit 1h',
      '1hour',
    ],
    [
      'deny all in backend --audit 1h --audit 2h',
      'E_SYNTAX',
      '"--audit" is given twice',
      'give one audit window, e.g. deny all in backend except dns --audit 1h',
      '--audit 2h',
    ],
    [
      'deny all in backend --audit 1h except dns',
      'E_SYNTAX',
      'expected the end of the request after the audit window, found "except"',
      '--audit WINDOW comes last, e.g. deny all in backend except dns --audit 1h',
      'except dns',
    ],
    [
      'allow a to b --audit 1h on 80',
      'E_SYNTAX',
      'expected the end of the request after the audit window, found "on"',
      '--audit WINDOW comes last, e.g. allow frontend/app=nginx to backend/app=api on tcp/8080 --audit 1h',
      'on 80',
    ],
    [
      'isolate backend --audit 1h 2h',
      'E_SYNTAX',
      'expected the end of the request after the audit window, found "2h"',
      '--audit WINDOW comes last, e.g. isolate backend --audit 1h',
      '2h',
    ],
    [
      'can a/x reach b/y on 80 --audit 1h',
      'E_SYNTAX',
      '"--audit" applies to allow, deny and isolate, not to a question',
      'a question changes nothing; remove --audit',
      '--audit 1h',
    ],
    [
      'who can reach b/y --audit 1h',
      'E_SYNTAX',
      '"--audit" applies to allow, deny and isolate, not to a question',
      'a question changes nothing; remove --audit',
      '--audit 1h',
    ],
    [
      'what can a/x reach? --audit 1h',
      'E_SYNTAX',
      '"--audit" applies to allow, deny and isolate, not to a question',
      'a question changes nothing; remove --audit',
      '--audit 1h',
    ],
    [
      'help --audit 1h',
      'E_SYNTAX',
      '"--audit" applies to allow, deny and isolate, not to help',
      'help changes nothing; remove --audit',
      '--audit 1h',
    ],
    [
      'help deny --audit 1h',
      'E_SYNTAX',
      '"--audit" applies to allow, deny and isolate, not to help',
      'help changes nothing; remove --audit',
      '--audit 1h',
    ],
  ])('refuses %s', (input, code, message, hint, at) => {
    expect(refusal(input)).toEqual([code, message, hint, at]);
  });
});
