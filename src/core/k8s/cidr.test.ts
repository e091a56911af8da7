import {
  cidrContainsCidr,
  cidrProblem,
  cidrsOverlap,
  formatCidr,
  formatIp,
  ipInCidr,
  ipProblem,
  parseCidr,
  parseIp,
} from './cidr';
import { NetpolError } from '../errors';

describe('ipProblem', () => {
  it.each([
    '0.0.0.0',
    '255.255.255.255',
    '10.1.2.3',
    '::',
    '::1',
    '1::',
    'fd00::1',
    '2001:DB8::A',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '0001:2:3:4:5:6:7:8',
    '::ffff:10.1.2.3',
    '64:ff9b::192.0.2.33',
    '1:2:3:4:5:6:1.2.3.4',
  ])('accepts %s', (ip) => {
    expect(ipProblem(ip)).toBeUndefined();
  });

  it.each([
    '',
    '10.0.0',
    '10.0.0.0.0',
    '10.0.0.256',
    '10.0.0.-1',
    '10.0.0.01',
    '10..0.1',
    '1.2.3.4 ',
    'localhost',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '1::2::3',
    ':1::',
    '1:::2',
    ':::',
    '12345::',
    'g::1',
    'fe80::1%eth0',
    '1.2.3.4::',
    '::1.2.3.4:5',
    '::1.2.3.04',
  ])('refuses %j', (ip) => {
    expect(ipProblem(ip)).toEqual(expect.any(String));
  });
});

describe('cidrProblem', () => {
  it.each([
    '10.0.0.0/16',
    '0.0.0.0/0',
    '10.0.0.1/32',
    '10.1.2.3/8',
    'fd00::/8',
    '::/0',
    '::1/128',
    '10.0.0.0/08',
  ])('accepts %s', (cidr) => {
    expect(cidrProblem(cidr)).toBeUndefined();
  });

  it.each([
    ['10.0.0.0', 'prefix length is required'],
    ['10.0.0.0/33', 'from 0 to 32'],
    ['fd00::/129', 'from 0 to 128'],
    ['10.0.0.0/', 'prefix length'],
    ['10.0.0.0/-1', 'prefix length'],
    ['10.0.0.0/+8', 'prefix length'],
    ['10.0.0.0/8/8', 'prefix length'],
    ['10.0.0.0/ 8', 'prefix length'],
    ['10.0.0/8', 'four'],
    ['fe80::1%eth0/64', 'zone'],
    ['/8', 'empty'],
  ])('refuses %j (%s)', (cidr, why) => {
    expect(cidrProblem(cidr)).toContain(why);
  });
});

describe('parse', () => {
  it('throws E_INVALID_VALUE on bad input', () => {
    expect(() => parseCidr('10.0.0.0')).toThrow(NetpolError);
    try {
      parseIp('nope');
    } catch (e) {
      expect((e as NetpolError).code).toBe('E_INVALID_VALUE');
      expect((e as NetpolError).message).toContain('"nope"');
    }
    expect.assertions(3);
  });

  it('clears host bits like Go', () => {
    expect(formatCidr(parseCidr('10.1.2.3/8'))).toBe('10.0.0.0/8');
    expect(formatCidr(parseCidr('fd00:1:2:3::7/33'))).toBe('fd00:1::/33');
    expect(formatCidr(parseCidr('fd00:1:2:3::7/31'))).toBe('fd00::/31');
    expect(formatCidr(parseCidr('0.0.0.0/0'))).toBe('0.0.0.0/0');
  });

  it('expands :: and formats IPv6 canonically (RFC 5952)', () => {
    expect(parseIp('::1').words).toEqual([0, 0, 0, 1]);
    expect(parseIp('fd00::').words).toEqual([0xfd000000, 0, 0, 0]);
    expect(parseIp('1:2:3:4:5:6:7:8').words).toEqual([0x00010002, 0x00030004, 0x00050006, 0x00070008]);
    expect(parseIp('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff').words).toEqual([
      0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
    ]);
    expect(formatIp(parseIp('2001:DB8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(formatIp(parseIp('2001:db8:0:1:1:1:1:1'))).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIp(parseIp('0:0:0:0:0:0:0:0'))).toBe('::');
    expect(formatIp(parseIp('::ffff:10.1.2.3'))).toBe('::ffff:a01:203');
    expect(formatIp(parseIp('255.0.10.1'))).toBe('255.0.10.1');
  });
});

describe('ipInCidr', () => {
  it.each([
    ['10.0.0.0', '10.0.0.0/16', true],
    ['10.0.255.255', '10.0.0.0/16', true],
    ['10.1.0.0', '10.0.0.0/16', false],
    ['9.255.255.255', '10.0.0.0/8', false],
    ['1.2.3.4', '0.0.0.0/0', true],
    ['255.255.255.255', '0.0.0.0/0', true],
    ['10.0.0.7', '10.0.0.7/32', true],
    ['10.0.0.8', '10.0.0.7/32', false],
    ['128.0.0.0', '128.0.0.0/1', true],
    ['127.255.255.255', '128.0.0.0/1', false],
    ['fd00::1', 'fd00::/8', true],
    ['fe00::1', 'fd00::/8', false],
    ['2001:db8::ffff:ffff', '2001:db8::/96', true],
    ['2001:db8::1:0:0', '2001:db8::/96', false],
    ['2001:db8:0:0:8000::', '2001:db8::/65', false],
    ['2001:db8:0:0:7fff::', '2001:db8::/65', true],
    ['::1', '::1/128', true],
    ['::2', '::1/128', false],
    ['::', '::/0', true],
  ])('%s in %s: %s', (ip, cidr, expected) => {
    expect(ipInCidr(ip, cidr)).toBe(expected);
  });

  it('is false across families, including IPv4-mapped IPv6', () => {
    expect(ipInCidr('10.0.0.1', '::/0')).toBe(false);
    expect(ipInCidr('::1', '0.0.0.0/0')).toBe(false);
    expect(ipInCidr('::ffff:10.0.0.1', '10.0.0.0/8')).toBe(false);
  });
});

describe('cidrContainsCidr and cidrsOverlap', () => {
  it('contains itself and smaller blocks, not larger or disjoint ones', () => {
    expect(cidrContainsCidr('10.0.0.0/8', '10.0.0.0/8')).toBe(true);
    expect(cidrContainsCidr('10.0.0.0/8', '10.20.0.0/16')).toBe(true);
    expect(cidrContainsCidr('10.20.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrContainsCidr('10.0.0.0/16', '10.1.0.0/16')).toBe(false);
    expect(cidrContainsCidr('fd00::/8', 'fd12:3456::/32')).toBe(true);
    expect(cidrContainsCidr('0.0.0.0/0', '::/0')).toBe(false);
  });

  it('overlaps when either contains the other', () => {
    expect(cidrsOverlap('10.0.0.0/8', '10.20.0.0/16')).toBe(true);
    expect(cidrsOverlap('10.20.0.0/16', '10.0.0.0/8')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/16', '10.1.0.0/16')).toBe(false);
    expect(cidrsOverlap('10.0.0.0/15', '10.1.0.0/16')).toBe(true);
    expect(cidrsOverlap('fd00::/8', 'fe00::/8')).toBe(false);
    expect(cidrsOverlap('0.0.0.0/0', '::/0')).toBe(false);
  });
});
