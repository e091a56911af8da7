import { contains, formatPrefix, parseAddress, parseCidr } from './prefix128';

const hexOf = (addr: Uint8Array) => Buffer.from(addr).toString('hex');

describe('prefix128', () => {
  test('IPv4 is mapped into ::ffff:0:0/96', () => {
    expect(hexOf(parseAddress('10.1.2.3').addr)).toBe('00000000000000000000ffff0a010203');
    expect(parseCidr('10.0.0.0/8').prefixlen).toBe(104);
  });

  test('IPv6 with ::, with an embedded IPv4, and in full', () => {
    expect(hexOf(parseAddress('fd00::1').addr)).toBe('fd000000000000000000000000000001');
    expect(hexOf(parseAddress('::ffff:1.2.3.4').addr)).toBe('00000000000000000000ffff01020304');
    expect(hexOf(parseAddress('1:2:3:4:5:6:7:8').addr)).toBe('00010002000300040005000600070008');
    expect(hexOf(parseAddress('::').addr)).toBe('0'.repeat(32));
  });

  test('host bits are cleared and a bare address is a host prefix', () => {
    expect(formatPrefix(parseCidr('10.1.2.3/8'))).toBe('10.0.0.0/8');
    expect(formatPrefix(parseCidr('10.1.2.3'))).toBe('10.1.2.3/32');
    expect(parseCidr('fd00::1').prefixlen).toBe(128);
  });

  test('containment', () => {
    expect(contains(parseCidr('10.0.0.0/8'), parseCidr('10.1.0.0/16'))).toBe(true);
    expect(contains(parseCidr('10.1.0.0/16'), parseCidr('10.0.0.0/8'))).toBe(false);
    expect(contains(parseCidr('::/0'), parseCidr('10.0.0.0/8'))).toBe(true);
    expect(contains(parseCidr('fd00::/8'), parseCidr('10.0.0.0/8'))).toBe(false);
  });

  test('rejects what is not an address or a prefix length', () => {
    expect(() => parseCidr('10.0.0.0/33')).toThrow();
    expect(() => parseCidr('example.com/8')).toThrow();
    expect(() => parseCidr('10.0.0.0/8x')).toThrow();
  });
});
