/**
 * Addresses and CIDRs as the dataplane sees them: 16 bytes with IPv4 mapped into ::ffff:0:0/96, so
 * one LPM trie and one code path serve both families (an IPv4 /n is a /(96+n)).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Prefix128 } from './abi';

export const IPV4_MAPPED_ROOT: Prefix128 = { addr: mappedV4([0, 0, 0, 0]), prefixlen: 96 };

function mappedV4(octets: number[]): Uint8Array {
  const addr = new Uint8Array(16);
  addr[10] = 0xff;
  addr[11] = 0xff;
  addr.set(octets, 12);
  return addr;
}

/** Parses an IPv4 or IPv6 address into 16 bytes; throws on anything else. */
export function parseAddress(text: string): { addr: Uint8Array; family: 4 | 6 } {
  if (isIPv4(text)) return { addr: mappedV4(text.split('.').map(Number)), family: 4 };
  if (!isIPv6(text)) throw new Error(`not an IP address: ${text}`);
  const lastColon = text.lastIndexOf(':');
  const dotted = text.slice(lastColon + 1);
  let groupsText = text;
  if (isIPv4(dotted)) {
    const octets = dotted.split('.').map(Number);
    const high = ((octets[0]! << 8) | octets[1]!).toString(16);
    const low = ((octets[2]! << 8) | octets[3]!).toString(16);
    groupsText = `${text.slice(0, lastColon + 1)}${high}:${low}`;
  }
  const [head, rest] = groupsText.includes('::') ? groupsText.split('::') : [groupsText, undefined];
  const headGroups = head
    ? head
        .split(':')
        .filter((g) => g !== '')
        .map((g) => parseInt(g, 16))
    : [];
  const restGroups = rest
    ? rest
        .split(':')
        .filter((g) => g !== '')
        .map((g) => parseInt(g, 16))
    : [];
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = [
    ...headGroups,
    ...new Array<number>(rest === undefined ? 0 : missing).fill(0),
    ...restGroups,
  ];
  const addr = new Uint8Array(16);
  groups.forEach((group, index) => {
    addr[index * 2] = group >> 8;
    addr[index * 2 + 1] = group & 0xff;
  });
  return { addr, family: 6 };
}

/** Parses `addr/len` (or a bare address: a host prefix); host bits are cleared. */
export function parseCidr(text: string): Prefix128 & { family: 4 | 6 } {
  const [address, lengthText] = text.split('/');
  const { addr, family } = parseAddress(address ?? '');
  const max = family === 4 ? 32 : 128;
  const length = lengthText === undefined ? max : Number(lengthText);
  if (
    !Number.isInteger(length) ||
    length < 0 ||
    length > max ||
    (lengthText !== undefined && !/^\d+$/.test(lengthText))
  ) {
    throw new Error(`bad prefix length in ${text}`);
  }
  const prefixlen = family === 4 ? 96 + length : length;
  return { addr: masked(addr, prefixlen), prefixlen, family };
}

export function masked(addr: Uint8Array, prefixlen: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let bit = 0; bit < prefixlen; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    out[byte]! |= addr[byte]! & mask;
  }
  return out;
}

/** True when `outer` contains `inner` (equal prefixes contain each other). */
export function contains(outer: Prefix128, inner: Prefix128): boolean {
  if (outer.prefixlen > inner.prefixlen) return false;
  const a = masked(outer.addr, outer.prefixlen);
  const b = masked(inner.addr, outer.prefixlen);
  return a.every((byte, index) => byte === b[index]);
}

/** Canonical text of a prefix (IPv4 for the mapped range), e.g. `10.0.0.0/8`, `fd00::/8`. */
export function formatPrefix(prefix: Prefix128): string {
  if (contains(IPV4_MAPPED_ROOT, prefix)) {
    return `${Array.from(prefix.addr.subarray(12)).join('.')}/${prefix.prefixlen - 96}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((prefix.addr[i]! << 8) | prefix.addr[i + 1]!).toString(16));
  return `${groups.join(':')}/${prefix.prefixlen}`;
}
