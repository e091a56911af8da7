import { refineIpBlocks } from './ipblock-refinement';
import { contains, parseCidr } from './prefix128';

/** Stable identities by prefix text, as the agent's allocator would give them. */
function allocator() {
  const ids = new Map<string, number>();
  return (cidr: string) => {
    if (!ids.has(cidr)) ids.set(cidr, 1000 + ids.size);
    return ids.get(cidr)!;
  };
}

/** The identity one longest-prefix lookup returns for an address (undefined: WORLD). */
function lookup(entries: ReturnType<typeof refineIpBlocks>['entries'], address: string): number | undefined {
  const host = parseCidr(address);
  return [...entries]
    .filter((entry) => contains(entry.prefix, host))
    .sort((a, b) => b.prefix.prefixlen - a.prefix.prefixlen)[0]?.identity;
}

describe('refineIpBlocks', () => {
  test('cidr with except: one lookup says whether the block matches', () => {
    const { entries, blockIdentities } = refineIpBlocks(
      [{ cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }],
      allocator(),
    );
    const matches = (address: string) => blockIdentities[0]!.includes(lookup(entries, address) ?? -1);
    expect(matches('10.2.3.4')).toBe(true);
    expect(matches('10.1.3.4')).toBe(false);
    expect(matches('11.0.0.1')).toBe(false);
  });

  test('overlapping blocks of several policies refine into disjoint regions', () => {
    const blocks = [
      { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '192.168.0.0/16'] },
      { cidr: '10.0.0.0/8' },
      { cidr: '10.0.0.0/8', except: ['10.9.0.0/16'] },
    ];
    const { entries, blockIdentities } = refineIpBlocks(blocks, allocator());
    const matching = (address: string) =>
      blockIdentities.flatMap((ids, index) => (ids.includes(lookup(entries, address) ?? -1) ? [index] : []));
    expect(matching('8.8.8.8')).toEqual([0]);
    expect(matching('10.1.1.1')).toEqual([1, 2]);
    expect(matching('10.9.1.1')).toEqual([1]);
    expect(matching('192.168.1.1')).toEqual([]);
  });

  test('an IPv6 block never matches IPv4 peers, even ::/0', () => {
    const { entries, blockIdentities } = refineIpBlocks(
      [{ cidr: '::/0', except: ['fd00::/8'] }],
      allocator(),
    );
    const matches = (address: string) => blockIdentities[0]!.includes(lookup(entries, address) ?? -1);
    expect(matches('2001:db8::1')).toBe(true);
    expect(matches('fd00::1')).toBe(false);
    expect(matches('8.8.8.8')).toBe(false);
  });

  test('identities are stable per prefix: adding a block keeps the others', () => {
    const allocate = allocator();
    const before = refineIpBlocks([{ cidr: '10.0.0.0/8' }], allocate);
    const after = refineIpBlocks([{ cidr: '10.0.0.0/8' }, { cidr: '172.16.0.0/12' }], allocate);
    const identityOf = (refinement: typeof before, cidr: string) =>
      refinement.entries.find((entry) => entry.cidr === cidr)?.identity;
    expect(identityOf(after, '10.0.0.0/8')).toBe(identityOf(before, '10.0.0.0/8'));
  });
});
