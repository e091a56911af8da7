/**
 * A port range (a NetworkPolicy port with endPort) as aligned power-of-two blocks, each one prefix
 * in the policy LPM key (port bits big-endian): at most 30 entries for any range, never one entry
 * per port.
 */

export interface PortBlock {
  /** First port of the block (aligned to its size). */
  readonly first: number;
  /** Prefix bits over the 16-bit port: 16 = one port, 0 = every port. */
  readonly bits: number;
}

export function portRangeBlocks(start: number, end: number): PortBlock[] {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > 65_535 || start > end) {
    throw new RangeError(`bad port range ${start}-${end}`);
  }
  const blocks: PortBlock[] = [];
  let next = start;
  while (next <= end) {
    // The largest block aligned at `next` that still fits in the range.
    let size = next === 0 ? 65_536 : next & -next;
    while (next + size - 1 > end) size >>= 1;
    blocks.push({ first: next, bits: 16 - Math.log2(size) });
    next += size;
  }
  return blocks;
}
