/**
 * IPv4 and IPv6 addresses and CIDR blocks, as Kubernetes reads `ipBlock.cidr` and `ipBlock.except`:
 * what Go's net.ParseCIDR / netip.ParseAddr accept (dotted quads without leading zeros, RFC 4291
 * text with one `::` and an optional trailing dotted quad, no zone, a decimal prefix length that is
 * required). Host bits may be set ("10.0.0.1/8"): like Go, the block is the masked network.
 *
 * Parsed forms hold four big-endian uint32 words (an IPv4 address uses words[0] only) so that the
 * evaluator and the node agent test containment with a few integer ops, never re-parsing text.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) stay IPv6: they never match an IPv4 block.
 * Pure functions; parse* throw NetpolError('E_INVALID_VALUE'), *Problem return the reason.
 */
import { NetpolError } from '../errors';

export type IpFamily = 4 | 6;

export type Words = readonly [number, number, number, number];

export interface IpAddress {
  readonly family: IpFamily;
  /** Big-endian uint32 words; for IPv4 only words[0] is used and the others are 0. */
  readonly words: Words;
}

export interface Cidr {
  readonly family: IpFamily;
  /** 0..32 for IPv4, 0..128 for IPv6. */
  readonly prefix: number;
  /** The network address (host bits cleared), in the same layout as IpAddress.words. */
  readonly words: Words;
  /** The netmask, word by word. */
  readonly mask: Words;
}

type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

const DIGITS = /^[0-9]+$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4Words(text: string): ParseResult<number> {
  const parts = text.split('.');
  if (parts.length !== 4) return { ok: false, problem: 'an IPv4 address has four dot-separated numbers' };
  let value = 0;
  for (const part of parts) {
    if (!DIGITS.test(part) || part.length > 3) {
      return { ok: false, problem: `"${part}" is not a number from 0 to 255` };
    }
    // Go (since 1.17) refuses leading zeros: "010" is octal to some parsers and decimal to others.
    if (part.length > 1 && part.startsWith('0')) {
      return { ok: false, problem: `"${part}" has a leading zero, which is ambiguous (octal or decimal)` };
    }
    const n = Number(part);
    if (n > 255) return { ok: false, problem: `"${part}" is not a number from 0 to 255` };
    value = value * 256 + n;
  }
  return { ok: true, value };
}

/** RFC 4291 section 2.2 text: eight 16-bit groups, one `::` for a run of zeros, optional final dotted quad. */
function parseIpv6Words(text: string): ParseResult<Words> {
  if (text.includes('%')) return { ok: false, problem: 'a zone ("%...") is not allowed here' };
  const halves = text.split('::');
  if (halves.length > 2) return { ok: false, problem: '"::" may appear only once' };
  // Only the very last field of the address may be a dotted quad (Go: "must replace the final 2 fields").
  const groupsOf = (half: string, last: boolean): ParseResult<number[]> => {
    if (half === '') return { ok: true, value: [] };
    const fields = half.split(':');
    const groups: number[] = [];
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as string;
      if (last && i === fields.length - 1 && field.includes('.')) {
        const v4 = parseIpv4Words(field);
        if (!v4.ok) return { ok: false, problem: `embedded IPv4 address: ${v4.problem}` };
        groups.push(Math.floor(v4.value / 0x10000), v4.value % 0x10000);
      } else if (HEX_GROUP.test(field)) {
        groups.push(parseInt(field, 16));
      } else if (field === '') {
        return { ok: false, problem: 'empty group (a single ":" at the start or end, or ":::")' };
      } else {
        return { ok: false, problem: `"${field}" is not a group of 1 to 4 hex digits` };
      }
    }
    return { ok: true, value: groups };
  };
  const head = groupsOf(halves[0] as string, halves.length === 1);
  if (!head.ok) return head;
  let groups: number[];
  if (halves.length === 2) {
    const tail = groupsOf(halves[1] as string, true);
    if (!tail.ok) return tail;
    const zeros = 8 - head.value.length - tail.value.length;
    // Go: "::" must stand for at least one group of zeros.
    if (zeros < 1) return { ok: false, problem: 'too many groups around "::"' };
    groups = [...head.value, ...new Array<number>(zeros).fill(0), ...tail.value];
  } else {
    groups = head.value;
    if (groups.length !== 8) return { ok: false, problem: 'an IPv6 address has eight groups (or uses "::")' };
  }
  const word = (i: number): number =>
    ((groups[2 * i] as number) * 0x10000 + (groups[2 * i + 1] as number)) >>> 0;
  return { ok: true, value: [word(0), word(1), word(2), word(3)] };
}

function parseIpResult(text: string): ParseResult<IpAddress> {
  if (text.length === 0) return { ok: false, problem: 'empty address' };
  if (text.includes(':')) {
    const v6 = parseIpv6Words(text);
    return v6.ok ? { ok: true, value: { family: 6, words: v6.value } } : v6;
  }
  if (text.includes('.')) {
    const v4 = parseIpv4Words(text);
    return v4.ok ? { ok: true, value: { family: 4, words: [v4.value, 0, 0, 0] } } : v4;
  }
  return { ok: false, problem: 'not an IPv4 or IPv6 address' };
}

function maskWords(family: IpFamily, prefix: number): Words {
  const words = [0, 0, 0, 0];
  const width = family === 4 ? 1 : 4;
  for (let i = 0; i < width; i++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * i));
    words[i] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }
  return words as unknown as Words;
}

function parseCidrResult(text: string): ParseResult<Cidr> {
  const slash = text.indexOf('/');
  if (slash < 0)
    return { ok: false, problem: 'a prefix length is required (e.g. "10.0.0.0/16" or "fd00::/8")' };
  const ip = parseIpResult(text.slice(0, slash));
  if (!ip.ok) return ip;
  const prefixText = text.slice(slash + 1);
  const maxPrefix = ip.value.family === 4 ? 32 : 128;
  // Go's dtoi: decimal digits only (leading zeros allowed), nothing after them.
  if (!DIGITS.test(prefixText) || Number(prefixText) > maxPrefix) {
    return { ok: false, problem: `the prefix length must be a number from 0 to ${maxPrefix}` };
  }
  const prefix = Number(prefixText);
  const family = ip.value.family;
  const mask = maskWords(family, prefix);
  const w = ip.value.words;
  const words: Words = [
    (w[0] & mask[0]) >>> 0,
    (w[1] & mask[1]) >>> 0,
    (w[2] & mask[2]) >>> 0,
    (w[3] & mask[3]) >>> 0,
  ];
  return { ok: true, value: { family, prefix, words, mask } };
}

export function ipProblem(text: string): string | undefined {
  const r = parseIpResult(text);
  return r.ok ? undefined : r.problem;
}

export function cidrProblem(text: string): string | undefined {
  const r = parseCidrResult(text);
  return r.ok ? undefined : r.problem;
}

export function parseIp(text: string): IpAddress {
  const r = parseIpResult(text);
  if (!r.ok) throw new NetpolError('E_INVALID_VALUE', `"${text}" is not a valid IP address: ${r.problem}`);
  return r.value;
}

export function parseCidr(text: string): Cidr {
  const r = parseCidrResult(text);
  if (!r.ok) throw new NetpolError('E_INVALID_VALUE', `"${text}" is not a valid CIDR: ${r.problem}`);
  return r.value;
}

/** Hot path: no allocation. False when the families differ. */
export function cidrContainsIp(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const width = cidr.family === 4 ? 1 : 4;
  for (let i = 0; i < width; i++) {
    if (((ip.words[i] as number) & (cidr.mask[i] as number)) >>> 0 !== cidr.words[i]) return false;
  }
  return true;
}

/** Whether every address of `inner` is in `outer` (a block contains itself). */
export function cidrContainsCidrParsed(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && cidrContainsIp(outer, inner);
}

export function ipInCidr(ip: string, cidr: string): boolean {
  return cidrContainsIp(parseCidr(cidr), parseIp(ip));
}

export function cidrContainsCidr(outer: string, inner: string): boolean {
  return cidrContainsCidrParsed(parseCidr(outer), parseCidr(inner));
}

/** Two blocks share an address iff one contains the other. */
export function cidrsOverlap(a: string, b: string): boolean {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  return cidrContainsCidrParsed(pa, pb) || cidrContainsCidrParsed(pb, pa);
}

/** Canonical text: dotted quad, or RFC 5952 (lower case, longest run of 2+ zero groups as "::"). */
export function formatIp(ip: IpAddress): string {
  const w = ip.words;
  if (ip.family === 4) {
    const v = w[0];
    return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
  }
  const groups: number[] = [];
  for (const word of w) groups.push(word >>> 16, word & 0xffff);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ family: cidr.family, words: cidr.words })}/${cidr.prefix}`;
}
