/**
 * Address ranges in the request language, read through a Cursor:
 *
 *   cidr = address ["/" length] [ "except" address ["/" length] { "," address ["/" length] } ] ;
 *
 * Returns the canonical `address/length` (a bare address gets /32 or /128) and refuses, with the
 * column of the range, what the API server would refuse in an ipBlock: bad addresses, bad lengths and
 * except ranges that are not strictly inside the outer range.
 */
import { cidrContainsCidrParsed, ipProblem, parseCidr } from '../k8s/cidr';
import type { Cursor } from './parse-cursor';
import type { Span } from './request';
import { describe, looksLikeAddress, quote } from './tokenizer';

const CIDR_EXAMPLE = 'e.g. 10.0.0.0/16, 10.1.2.3 or fd00::/8';

/** `inner` lies strictly inside `outer`: what the API server requires of an ipBlock's except. */
function strictlyInside(inner: string, outer: string): boolean {
  const i = parseCidr(inner);
  const o = parseCidr(outer);
  return cidrContainsCidrParsed(o, i) && i.prefix > o.prefix;
}

/** An address range with its exceptions; the cursor is on a word that looks like an address. */
export function readCidr(c: Cursor): { cidr: string; except: string[]; span: Span } {
  const first = c.peek();
  const outer = readBlock(c);
  const except: string[] = [];
  if (c.isWord(c.peek(), 'except')) {
    c.advance();
    do {
      const token = c.peek();
      if (token.kind !== 'word' || !looksLikeAddress(token.text)) {
        c.expected(
          token,
          'an address range after "except"',
          'e.g. 0.0.0.0/0 except 10.0.0.0/8,192.168.0.0/16',
        );
      }
      const inner = readBlock(c);
      if (!strictlyInside(inner, outer)) {
        const hint = 'every except range must be a narrower part of the range before "except"';
        c.invalid(token, `${quote(inner)} is not strictly inside ${quote(outer)}`, hint);
      }
      except.push(inner);
    } while (c.eat(','));
  }
  return { cidr: outer, except, span: c.spanFrom(first) };
}

/** An address with an optional prefix length; a bare address gets its full length (/32, /128). */
function readBlock(c: Cursor): string {
  const token = c.advance();
  const problem = ipProblem(token.text);
  if (problem !== undefined) {
    const hostPort = /^([0-9.]+):([0-9]{1,5})$/.exec(token.text);
    if (hostPort !== null) {
      const hint = `write the port with "on": ${hostPort[1]} on tcp/${hostPort[2]}`;
      c.fail('E_SYNTAX', token, `${quote(token.text)} mixes an address and a port`, hint);
    }
    c.invalid(token, `${quote(token.text)} is not a valid IP address: ${problem}`, CIDR_EXAMPLE);
  }
  const v6 = token.text.includes(':');
  const max = v6 ? 128 : 32;
  let length = max;
  if (c.peek().kind === '/' && !c.peek().spaceBefore) {
    c.advance();
    const lengthToken = c.peek();
    const tight = lengthToken.kind === 'word' && !lengthToken.spaceBefore;
    if (!tight || !/^[0-9]{1,4}$/.test(lengthToken.text) || Number(lengthToken.text) > max) {
      const what = `a prefix length from 0 to ${max} after ${quote(`${token.text}/`)}`;
      c.fail(
        tight ? 'E_INVALID_VALUE' : 'E_SYNTAX',
        lengthToken,
        `expected ${what}, found ${describe(lengthToken)}`,
        CIDR_EXAMPLE,
      );
    }
    c.advance();
    length = Number(lengthToken.text);
  }
  return `${v6 ? token.text.toLowerCase() : token.text}/${length}`;
}
