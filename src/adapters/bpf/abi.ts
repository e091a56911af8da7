/**
 * The TypeScript mirror of bpf/netpol_abi.h: constants, struct layouts (name, offset, size of each
 * field) and the byte codecs built from them. Keep it in step with the header:
 * test/dataplane/abi-drift.test.ts compares these layouts and constants with the compiled object's
 * BTF and the header's #defines, and fails on any difference. Little-endian (x86-64, arm64) hosts.
 */

export const IDENTITY = { ANY: 0, HOST: 1, WORLD: 2, FIRST_DYNAMIC: 256 } as const;
export const DIRECTION = { INGRESS: 0, EGRESS: 1 } as const;
export type Direction = (typeof DIRECTION)[keyof typeof DIRECTION];
export const ENDPOINT_FLAG = {
  READY: 1,
  INGRESS_ISOLATED: 2,
  EGRESS_ISOLATED: 4,
  INGRESS_AUDIT: 8,
  EGRESS_AUDIT: 16,
} as const;
export const VERDICT = { ALLOW: 1, DENY: 2 } as const;
export const EVENT_KIND = { DROP: 1, ALLOW_NEW_FLOW: 2, WOULD_DROP: 3 } as const;
export const REASON = {
  NONE: 0,
  NO_RULE_INGRESS: 1,
  NO_RULE_EGRESS: 2,
  NOT_READY: 3,
  NO_ENDPOINT: 4,
  FRAGMENT: 5,
  UNPARSABLE: 6,
  POLICY_DENY: 7,
  ALLOWED_BY_RULE: 16,
  ALLOWED_NOT_ISOLATED: 17,
  ALLOWED_HOST: 18,
} as const;
export type ReasonName = keyof typeof REASON;
export const COUNTER = { EVENTS_LOST: 0, EVENTS_SUPPRESSED: 1, MAX: 4 } as const;
export const CT_STATE = { NEW: 1, ESTABLISHED: 2, CLOSING: 3 } as const;
export const CT_FLAG = { ORIGIN_LO: 1, ORIGIN_EGRESS: 2 } as const;
export const POLICY_PREFIX = { ANY_PROTO: 32, ANY_PORT: 40, FULL: 64 } as const;

/** Every #define of the header, by its C name: what the drift test compares. */
export const ABI_CONSTANTS: ReadonlyMap<string, number> = new Map([
  ...prefixed('NETPOL_IDENTITY_', IDENTITY),
  ...prefixed('NETPOL_DIR_', DIRECTION),
  ...prefixed('NETPOL_EP_', ENDPOINT_FLAG),
  ...prefixed('NETPOL_VERDICT_', VERDICT),
  ...prefixed('NETPOL_EVENT_', EVENT_KIND),
  ...prefixed('NETPOL_REASON_', REASON),
  ...prefixed('NETPOL_COUNTER_', COUNTER),
  ...prefixed('NETPOL_CT_F_', CT_FLAG),
  ...prefixed('NETPOL_CT_', CT_STATE),
  ...prefixed('NETPOL_POLICY_PREFIX_', POLICY_PREFIX),
]);

function prefixed(prefix: string, values: Record<string, number>): [string, number][] {
  return Object.entries(values).map(([name, value]) => [prefix + name, value]);
}

export interface FieldLayout {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}
export interface StructLayout {
  readonly name: string;
  readonly size: number;
  readonly fields: readonly FieldLayout[];
}

function layout(name: string, size: number, fields: [string, number, number][]): StructLayout {
  return {
    name,
    size,
    fields: fields.map(([field, offset, bytes]) => ({ name: field, offset, size: bytes })),
  };
}

export const LAYOUTS = {
  ipcacheKey: layout('netpol_ipcache_key', 20, [
    ['prefixlen', 0, 4],
    ['addr', 4, 16],
  ]),
  ipcacheValue: layout('netpol_ipcache_value', 4, [['identity', 0, 4]]),
  endpointKey: layout('netpol_endpoint_key', 4, [['ifindex', 0, 4]]),
  endpointValue: layout('netpol_endpoint_value', 8, [
    ['endpoint_id', 0, 4],
    ['flags', 4, 4],
  ]),
  policyOuterKey: layout('netpol_policy_outer_key', 8, [
    ['endpoint_id', 0, 4],
    ['direction', 4, 4],
  ]),
  policyKey: layout('netpol_policy_key', 12, [
    ['prefixlen', 0, 4],
    ['identity', 4, 4],
    ['protocol', 8, 1],
    ['pad', 9, 1],
    ['port_be', 10, 2],
  ]),
  policyValue: layout('netpol_policy_value', 8, [
    ['verdict', 0, 4],
    ['rule_id', 4, 4],
  ]),
  ctKey: layout('netpol_ct_key', 44, [
    ['lo_addr', 0, 16],
    ['hi_addr', 16, 16],
    ['lo_port', 32, 2],
    ['hi_port', 34, 2],
    ['endpoint_id', 36, 4],
    ['protocol', 40, 1],
    ['pad', 41, 3],
  ]),
  ctValue: layout('netpol_ct_value', 40, [
    ['created_ns', 0, 8],
    ['last_seen_ns', 8, 8],
    ['endpoint_ids', 16, 8],
    ['ifindexes', 24, 8],
    ['state', 32, 1],
    ['flags', 33, 1],
    ['pad', 34, 2],
    ['pad2', 36, 4],
  ]),
  ratelimitValue: layout('netpol_ratelimit_value', 16, [
    ['last_report_ns', 0, 8],
    ['suppressed', 8, 4],
    ['pad', 12, 4],
  ]),
  endpointCounters: layout('netpol_endpoint_counters', 32, [
    ['allowed_packets', 0, 8],
    ['allowed_bytes', 8, 8],
    ['dropped_packets', 16, 8],
    ['dropped_bytes', 24, 8],
  ]),
  event: layout('netpol_event', 72, [
    ['timestamp_ns', 0, 8],
    ['saddr', 8, 16],
    ['daddr', 24, 16],
    ['endpoint_id', 40, 4],
    ['peer_identity', 44, 4],
    ['rule_id', 48, 4],
    ['suppressed', 52, 4],
    ['sport', 56, 2],
    ['dport', 58, 2],
    ['protocol', 60, 1],
    ['direction', 61, 1],
    ['kind', 62, 1],
    ['reason', 63, 1],
    ['family', 64, 1],
    ['pad', 65, 7],
  ]),
  config: layout('netpol_config', 24, [
    ['event_interval_ns', 0, 8],
    ['allow_sample_one_in', 8, 4],
    ['ct_tcp_lifetime_s', 12, 4],
    ['ct_tcp_closing_s', 16, 4],
    ['ct_other_lifetime_s', 20, 4],
  ]),
} as const satisfies Record<string, StructLayout>;

/** A struct's bytes, written field by field by name (so a layout change breaks loudly here). */
class StructWriter {
  readonly bytes: Buffer;
  constructor(private readonly struct: StructLayout) {
    this.bytes = Buffer.alloc(struct.size);
  }
  private field(name: string): FieldLayout {
    const field = this.struct.fields.find((candidate) => candidate.name === name);
    if (!field) throw new Error(`${this.struct.name} has no field ${name}`);
    return field;
  }
  uint(name: string, value: number | bigint, bigEndian = false): this {
    const { offset, size } = this.field(name);
    if (size === 8) this.bytes.writeBigUInt64LE(BigInt(value), offset);
    else if (size === 4) this.bytes.writeUInt32LE(Number(value), offset);
    else if (size === 2 && bigEndian) this.bytes.writeUInt16BE(Number(value), offset);
    else if (size === 2) this.bytes.writeUInt16LE(Number(value), offset);
    else this.bytes.writeUInt8(Number(value), offset);
    return this;
  }
  raw(name: string, value: Uint8Array): this {
    const { offset, size } = this.field(name);
    if (value.length !== size) throw new Error(`${this.struct.name}.${name} takes ${size} bytes`);
    this.bytes.set(value, offset);
    return this;
  }
}

function reader(struct: StructLayout, bytes: Buffer) {
  if (bytes.length < struct.size)
    throw new Error(`${struct.name} needs ${struct.size} bytes, got ${bytes.length}`);
  const field = (name: string): FieldLayout => {
    const found = struct.fields.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`${struct.name} has no field ${name}`);
    return found;
  };
  return {
    uint(name: string): number {
      const { offset, size } = field(name);
      if (size === 4) return bytes.readUInt32LE(offset);
      if (size === 2) return bytes.readUInt16LE(offset);
      return bytes.readUInt8(offset);
    },
    big(name: string): bigint {
      return bytes.readBigUInt64LE(field(name).offset);
    },
    raw(name: string): Buffer {
      const { offset, size } = field(name);
      return Buffer.from(bytes.subarray(offset, offset + size));
    },
  };
}

/** A 16-byte address (IPv4 mapped) and a prefix length over those 128 bits. */
export interface Prefix128 {
  readonly addr: Uint8Array;
  readonly prefixlen: number;
}

export function encodeIpcacheKey(prefix: Prefix128): Buffer {
  return new StructWriter(LAYOUTS.ipcacheKey).uint('prefixlen', prefix.prefixlen).raw('addr', prefix.addr)
    .bytes;
}
export function encodeIpcacheValue(identity: number): Buffer {
  return new StructWriter(LAYOUTS.ipcacheValue).uint('identity', identity).bytes;
}
export function encodeEndpointKey(ifindex: number): Buffer {
  return new StructWriter(LAYOUTS.endpointKey).uint('ifindex', ifindex).bytes;
}
export function encodeEndpointValue(endpointId: number, flags: number): Buffer {
  return new StructWriter(LAYOUTS.endpointValue).uint('endpoint_id', endpointId).uint('flags', flags).bytes;
}
export function encodePolicyOuterKey(endpointId: number, direction: Direction): Buffer {
  return new StructWriter(LAYOUTS.policyOuterKey).uint('endpoint_id', endpointId).uint('direction', direction)
    .bytes;
}

/** One inner-map key: protocol undefined = any protocol (and port); port undefined = any port. */
export interface PolicyKey {
  readonly identity: number;
  readonly protocol?: number;
  /** The first port of an aligned block and the block's prefix bits (16 = one port). */
  readonly port?: { readonly first: number; readonly bits: number };
}
export function encodePolicyKey(key: PolicyKey): Buffer {
  const prefixlen =
    key.protocol === undefined
      ? POLICY_PREFIX.ANY_PROTO
      : key.port === undefined
        ? POLICY_PREFIX.ANY_PORT
        : POLICY_PREFIX.ANY_PORT + 8 + key.port.bits;
  return new StructWriter(LAYOUTS.policyKey)
    .uint('prefixlen', prefixlen)
    .uint('identity', key.identity)
    .uint('protocol', key.protocol ?? 0)
    .uint('port_be', key.port?.first ?? 0, true).bytes;
}
export function encodePolicyValue(verdict: number, ruleId: number): Buffer {
  return new StructWriter(LAYOUTS.policyValue).uint('verdict', verdict).uint('rule_id', ruleId).bytes;
}

export interface DataplaneConfig {
  readonly eventIntervalNs: bigint;
  readonly allowSampleOneIn: number;
  readonly ctTcpLifetimeS: number;
  readonly ctTcpClosingS: number;
  readonly ctOtherLifetimeS: number;
}
export const DEFAULT_CONFIG: DataplaneConfig = {
  eventIntervalNs: 1_000_000_000n,
  allowSampleOneIn: 0,
  ctTcpLifetimeS: 21_600,
  ctTcpClosingS: 10,
  ctOtherLifetimeS: 60,
};
export function encodeConfig(config: DataplaneConfig): Buffer {
  return new StructWriter(LAYOUTS.config)
    .uint('event_interval_ns', config.eventIntervalNs)
    .uint('allow_sample_one_in', config.allowSampleOneIn)
    .uint('ct_tcp_lifetime_s', config.ctTcpLifetimeS)
    .uint('ct_tcp_closing_s', config.ctTcpClosingS)
    .uint('ct_other_lifetime_s', config.ctOtherLifetimeS).bytes;
}

export interface EndpointCounters {
  allowedPackets: bigint;
  allowedBytes: bigint;
  droppedPackets: bigint;
  droppedBytes: bigint;
}
/** Sums a per-CPU value (one 8-byte-aligned slot a CPU) into one EndpointCounters. */
export function decodeEndpointCounters(perCpu: Buffer): EndpointCounters {
  const total: EndpointCounters = {
    allowedPackets: 0n,
    allowedBytes: 0n,
    droppedPackets: 0n,
    droppedBytes: 0n,
  };
  for (
    let offset = 0;
    offset + LAYOUTS.endpointCounters.size <= perCpu.length;
    offset += LAYOUTS.endpointCounters.size
  ) {
    const cpu = reader(LAYOUTS.endpointCounters, perCpu.subarray(offset));
    total.allowedPackets += cpu.big('allowed_packets');
    total.allowedBytes += cpu.big('allowed_bytes');
    total.droppedPackets += cpu.big('dropped_packets');
    total.droppedBytes += cpu.big('dropped_bytes');
  }
  return total;
}
export function sumPerCpuU64(perCpu: Buffer): bigint {
  let total = 0n;
  for (let offset = 0; offset + 8 <= perCpu.length; offset += 8) total += perCpu.readBigUInt64LE(offset);
  return total;
}

export interface DataplaneEvent {
  readonly timestampNs: bigint;
  readonly family: 4 | 6;
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly protocol: number;
  readonly endpointId: number;
  readonly peerIdentity: number;
  readonly ruleId: number;
  readonly suppressed: number;
  readonly direction: 'ingress' | 'egress';
  /** would-drop: audit mode passed a packet its rules would have dropped. */
  readonly kind: 'drop' | 'allow-new-flow' | 'would-drop';
  readonly reason: ReasonName | 'UNKNOWN';
}

const REASON_BY_CODE = new Map<number, ReasonName>(
  Object.entries(REASON).map(([name, code]) => [code, name as ReasonName]),
);

const KIND_BY_CODE = new Map<number, DataplaneEvent['kind']>([
  [EVENT_KIND.DROP, 'drop'],
  [EVENT_KIND.ALLOW_NEW_FLOW, 'allow-new-flow'],
  [EVENT_KIND.WOULD_DROP, 'would-drop'],
]);

export function decodeEvent(bytes: Buffer): DataplaneEvent {
  const event = reader(LAYOUTS.event, bytes);
  const family = event.uint('family') === 6 ? 6 : 4;
  return {
    timestampNs: event.big('timestamp_ns'),
    family,
    source: formatAddress(event.raw('saddr'), family),
    destination: formatAddress(event.raw('daddr'), family),
    sourcePort: event.uint('sport'),
    destinationPort: event.uint('dport'),
    protocol: event.uint('protocol'),
    endpointId: event.uint('endpoint_id'),
    peerIdentity: event.uint('peer_identity'),
    ruleId: event.uint('rule_id'),
    suppressed: event.uint('suppressed'),
    direction: event.uint('direction') === DIRECTION.EGRESS ? 'egress' : 'ingress',
    kind: KIND_BY_CODE.get(event.uint('kind')) ?? 'drop',
    reason: REASON_BY_CODE.get(event.uint('reason')) ?? 'UNKNOWN',
  };
}

/** Formats a 16-byte address: dotted quad for the mapped IPv4 of a family-4 record. */
export function formatAddress(addr: Uint8Array, family: 4 | 6): string {
  if (family === 4) return Array.from(addr.subarray(12, 16)).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((addr[i]! << 8) | addr[i + 1]!).toString(16));
  return compressIpv6(groups);
}

function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === '0') length++;
    if (length > bestLength && length > 1) [bestStart, bestLength] = [start, length];
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
