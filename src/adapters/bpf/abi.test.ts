import { DIRECTION, LAYOUTS, POLICY_PREFIX, decodeEvent, encodePolicyKey, formatAddress } from './abi';
import { encodeRules } from './bpf-dataplane';
import { parseAddress } from './prefix128';

describe('abi codecs', () => {
  test('policy keys: wildcards are prefixes, ports big-endian', () => {
    const any = encodePolicyKey({ identity: 300 });
    expect(any.readUInt32LE(0)).toBe(POLICY_PREFIX.ANY_PROTO);
    expect(encodePolicyKey({ identity: 300, protocol: 6 }).readUInt32LE(0)).toBe(POLICY_PREFIX.ANY_PORT);
    const exact = encodePolicyKey({ identity: 300, protocol: 6, port: { first: 8080, bits: 16 } });
    expect(exact.readUInt32LE(0)).toBe(POLICY_PREFIX.FULL);
    expect(exact.readUInt16BE(10)).toBe(8080);
    expect(exact.length).toBe(LAYOUTS.policyKey.size);
  });

  test('rules: a range becomes its aligned blocks, duplicates collapse', () => {
    const entries = encodeRules([
      { identity: 300, protocol: 'TCP', port: 8000, endPort: 8100 },
      { identity: 300, protocol: 'TCP', port: 8100 },
      { identity: 0 },
    ]);
    expect(entries).toHaveLength(5);
  });

  test('events decode addresses, ports and the reason by name', () => {
    const bytes = Buffer.alloc(LAYOUTS.event.size);
    bytes.set(parseAddress('10.0.0.2').addr, 8);
    bytes.set(parseAddress('10.0.0.3').addr, 24);
    bytes.writeUInt32LE(7, 40);
    bytes.writeUInt16LE(40000, 56);
    bytes.writeUInt16LE(80, 58);
    bytes.writeUInt8(6, 60);
    bytes.writeUInt8(DIRECTION.INGRESS, 61);
    bytes.writeUInt8(1, 62);
    bytes.writeUInt8(1, 63);
    bytes.writeUInt8(4, 64);
    expect(decodeEvent(bytes)).toMatchObject({
      source: '10.0.0.2',
      destination: '10.0.0.3',
      sourcePort: 40000,
      destinationPort: 80,
      endpointId: 7,
      direction: 'ingress',
      kind: 'drop',
      reason: 'NO_RULE_INGRESS',
    });
  });

  test('IPv6 addresses are compressed', () => {
    expect(formatAddress(parseAddress('fd77::1:2').addr, 6)).toBe('fd77::1:2');
  });
});
