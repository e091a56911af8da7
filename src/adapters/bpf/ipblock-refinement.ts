/**
 * ipBlocks as ipcache entries: the disjoint refinement of every cidr and except. CIDRs are either
 * nested or disjoint, so the set of all of them is a tree; each prefix P gets its own identity and
 * stands for "P minus its children", which is exactly what one longest-prefix lookup returns.
 * A block {cidr C, except E...} then matches the identities of the prefixes inside C and inside no
 * E. Identities come from the caller (stable per prefix text), so recomputing after a change
 * rewrites only the entries that changed.
 *
 * The IPv4-mapped range ::ffff:0:0/96 (0.0.0.0/0) becomes a node of its own whenever an IPv6
 * prefix covers it, and IPv6 blocks never match inside it: ::/0 does not match IPv4 peers.
 */
import type { Prefix128 } from './abi';
import { IPV4_MAPPED_ROOT, contains, formatPrefix, parseCidr } from './prefix128';

export interface IpBlockSpec {
  readonly cidr: string;
  readonly except?: readonly string[];
}

export interface IpcacheEntry {
  /** Canonical prefix text (IPv4 as dotted quad). */
  readonly cidr: string;
  readonly prefix: Prefix128;
  readonly identity: number;
}

export interface Refinement {
  readonly entries: readonly IpcacheEntry[];
  /** For each input block (same order): the identities it matches. */
  readonly blockIdentities: readonly (readonly number[])[];
}

export function refineIpBlocks(
  blocks: readonly IpBlockSpec[],
  identityOf: (cidr: string) => number,
): Refinement {
  const nodes = new Map<string, Prefix128 & { family: 4 | 6 }>();
  const add = (text: string) => {
    const prefix = parseCidr(text);
    nodes.set(formatPrefix(prefix), prefix);
    return prefix;
  };
  const parsed = blocks.map((block) => ({ cidr: add(block.cidr), except: (block.except ?? []).map(add) }));
  const v4Root = formatPrefix(IPV4_MAPPED_ROOT);
  const coversV4Root = [...nodes.values()].some(
    (node) => node.family === 6 && contains(node, IPV4_MAPPED_ROOT),
  );
  if (coversV4Root && !nodes.has(v4Root)) nodes.set(v4Root, { ...IPV4_MAPPED_ROOT, family: 4 });

  const entries: IpcacheEntry[] = [...nodes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([cidr, prefix]) => ({
      cidr,
      prefix: { addr: prefix.addr, prefixlen: prefix.prefixlen },
      identity: identityOf(cidr),
    }));
  const blockIdentities = parsed.map(({ cidr, except }) =>
    entries
      .filter((entry) => contains(cidr, entry.prefix))
      .filter((entry) => !(cidr.family === 6 && contains(IPV4_MAPPED_ROOT, entry.prefix)))
      .filter((entry) => !except.some((excluded) => contains(excluded, entry.prefix)))
      .map((entry) => entry.identity),
  );
  return { entries, blockIdentities };
}
