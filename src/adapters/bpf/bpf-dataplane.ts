/**
 * BpfDataplane: the typed face of the eBPF maps and programs, for the node agent. It encodes keys
 * and values from the ABI mirror (abi.ts) and speaks to the loader helper (loader-process.ts);
 * it holds no policy logic: callers say which identities, rules and flags an endpoint has.
 *
 * One instance owns one pin directory (one node's map set). Maps outlive the instance: open() on
 * an existing pin directory adopts them (restart safety); remove the directory to drop them.
 */
import { join } from 'node:path';
import {
  DEFAULT_CONFIG,
  DIRECTION,
  ENDPOINT_FLAG,
  VERDICT,
  COUNTER,
  decodeEndpointCounters,
  decodeEvent,
  encodeConfig,
  encodeEndpointKey,
  encodeEndpointValue,
  encodeIpcacheKey,
  encodeIpcacheValue,
  encodePolicyKey,
  encodePolicyOuterKey,
  encodePolicyValue,
  sumPerCpuU64,
  type DataplaneConfig,
  type DataplaneEvent,
  type Direction,
  type EndpointCounters,
} from './abi';
import { LoaderProcess, type LinkNotice } from './loader-process';
import { portRangeBlocks } from './port-prefixes';
import { formatPrefix, parseCidr } from './prefix128';

/** Where `make -C bpf` puts its outputs, relative to the repository root. */
export const BPF_BUILD_DIR = join(__dirname, '..', '..', '..', 'bpf', 'build');

export interface BpfDataplaneOptions {
  readonly pinDir: string;
  readonly objectPath?: string;
  readonly loaderPath?: string;
  readonly config?: Partial<DataplaneConfig>;
  readonly onEvent?: (event: DataplaneEvent) => void;
  readonly onLog?: (line: string) => void;
  /** New host veths the helper closed on its own (see watchLinks). */
  readonly onLink?: (notice: LinkNotice) => void;
}

export interface EndpointState {
  readonly endpointId: number;
  readonly ready: boolean;
  readonly ingressIsolated: boolean;
  readonly egressIsolated: boolean;
  /** Isolated only by policies in audit mode: would-be drops pass and are reported. */
  readonly ingressAudit?: boolean;
  readonly egressAudit?: boolean;
}

export const PROTOCOL_NUMBER = { TCP: 6, UDP: 17, SCTP: 132 } as const;

/** One allow (or deny) rule of one endpoint and direction. */
export interface PolicyRule {
  /** Peer identity; IDENTITY.ANY for any peer. */
  readonly identity: number;
  /** Omitted: any protocol and any port. */
  readonly protocol?: keyof typeof PROTOCOL_NUMBER;
  /** Omitted: any port of the protocol. */
  readonly port?: number;
  /** Inclusive end of a port range starting at `port`. */
  readonly endPort?: number;
  readonly verdict?: 'allow' | 'deny';
  /** Opaque, reported in allow events. */
  readonly ruleId?: number;
}

const hex = (bytes: Buffer) => bytes.toString('hex');

/** Encodes rules as inner-map entries (`key:value` hex pairs), ranges as aligned blocks. */
export function encodeRules(rules: readonly PolicyRule[]): string[] {
  const entries = new Map<string, string>();
  for (const rule of rules) {
    const value = hex(
      encodePolicyValue(rule.verdict === 'deny' ? VERDICT.DENY : VERDICT.ALLOW, rule.ruleId ?? 0),
    );
    const protocol = rule.protocol === undefined ? undefined : PROTOCOL_NUMBER[rule.protocol];
    const blocks =
      protocol === undefined || rule.port === undefined
        ? [undefined]
        : portRangeBlocks(rule.port, rule.endPort ?? rule.port);
    for (const port of blocks) {
      const key = hex(encodePolicyKey({ identity: rule.identity, protocol, port }));
      if (!entries.has(key)) entries.set(key, value);
    }
  }
  return [...entries].map(([key, value]) => `${key}:${value}`);
}

export class BpfDataplane {
  private constructor(private readonly loader: LoaderProcess) {}

  static async open(options: BpfDataplaneOptions): Promise<BpfDataplane> {
    const onEvent = options.onEvent;
    const loader = LoaderProcess.start({
      binaryPath: options.loaderPath ?? join(BPF_BUILD_DIR, 'netpol-loader'),
      onEvent: onEvent ? (record) => onEvent(decodeEvent(record)) : undefined,
      onLog: options.onLog,
      onLink: options.onLink,
    });
    const config = encodeConfig({ ...DEFAULT_CONFIG, ...options.config });
    try {
      await loader.request('open', [
        options.objectPath ?? join(BPF_BUILD_DIR, 'netpol.bpf.o'),
        options.pinDir,
        hex(config),
      ]);
      if (onEvent) await loader.request('events');
    } catch (err) {
      await loader.close();
      throw err;
    }
    return new BpfDataplane(loader);
  }

  /**
   * From now on the helper attaches both programs to every veth that appears in `netns` with a
   * name starting with one of `prefixes`, the moment the kernel announces it (no endpoint entry
   * yet: it drops until the agent makes it ready). Resolves once subscribed.
   */
  async watchLinks(netns: string, prefixes: readonly string[]): Promise<void> {
    await this.loader.request('watch-links', [netns, prefixes.join(',')]);
  }

  /** Attaches both programs to the host veth `ifname` inside `netns`; returns its ifindex there. */
  async attach(netns: string, ifname: string): Promise<number> {
    const [ifindex] = await this.loader.request('attach', [netns, ifname]);
    return Number(ifindex);
  }

  async detach(netns: string, ifname: string): Promise<void> {
    await this.loader.request('detach', [netns, ifname]);
  }

  async setEndpoint(ifindex: number, state: EndpointState): Promise<void> {
    const flags =
      (state.ready ? ENDPOINT_FLAG.READY : 0) |
      (state.ingressIsolated ? ENDPOINT_FLAG.INGRESS_ISOLATED : 0) |
      (state.egressIsolated ? ENDPOINT_FLAG.EGRESS_ISOLATED : 0) |
      (state.ingressAudit ? ENDPOINT_FLAG.INGRESS_AUDIT : 0) |
      (state.egressAudit ? ENDPOINT_FLAG.EGRESS_AUDIT : 0);
    await this.loader.request('update', [
      'endpoints',
      `${hex(encodeEndpointKey(ifindex))}:${hex(encodeEndpointValue(state.endpointId, flags))}`,
    ]);
  }

  async removeEndpoint(ifindex: number): Promise<void> {
    await this.loader.request('delete', ['endpoints', hex(encodeEndpointKey(ifindex))]);
  }

  /** Writes address/CIDR -> identity entries (a pod IP is a host prefix). One request for all. */
  async setIdentities(
    entries: readonly { readonly cidr: string; readonly identity: number }[],
  ): Promise<void> {
    if (entries.length === 0) return;
    const pairs = entries.map(
      ({ cidr, identity }) =>
        `${hex(encodeIpcacheKey(parseCidr(cidr)))}:${hex(encodeIpcacheValue(identity))}`,
    );
    await this.loader.request('update', ['ipcache', ...pairs]);
  }

  async removeIdentities(cidrs: readonly string[]): Promise<void> {
    if (cidrs.length === 0) return;
    await this.loader.request('delete', [
      'ipcache',
      ...cidrs.map((cidr) => hex(encodeIpcacheKey(parseCidr(cidr)))),
    ]);
  }

  /**
   * Replaces the endpoint's rules for one direction atomically (new inner map, then the swap). No
   * rules at all (a default deny) removes the rule set instead: the programs treat a missing one as
   * an empty one (nothing admitted), and a write to the map-in-map waits for an RCU grace period
   * (the kernel's maybe_wait_bpf_programs), 8-19 ms of every default deny's way to the wire in
   * bench:dataplane, which deleting an absent entry does not (Linux 6.8+).
   */
  async swapRules(endpointId: number, direction: Direction, rules: readonly PolicyRule[]): Promise<number> {
    const entries = encodeRules(rules);
    const outer = hex(encodePolicyOuterKey(endpointId, direction));
    if (entries.length === 0) await this.loader.request('clear-policy', [outer]);
    else await this.loader.request('swap-policy', [outer, String(entries.length), ...entries]);
    return entries.length;
  }

  async clearRules(endpointId: number, direction: Direction): Promise<void> {
    await this.loader.request('clear-policy', [hex(encodePolicyOuterKey(endpointId, direction))]);
  }

  async endpointCounters(endpointId: number): Promise<EndpointCounters | null> {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(endpointId);
    const [value] = await this.loader.request('lookup', ['endpoint_counters', hex(key)]);
    return value === undefined || value === '-' ? null : decodeEndpointCounters(Buffer.from(value, 'hex'));
  }

  async globalCounters(): Promise<{ eventsLost: bigint; eventsSuppressed: bigint }> {
    const read = async (index: number) => {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(index);
      const [value] = await this.loader.request('lookup', ['global_counters', hex(key)]);
      return value === undefined || value === '-' ? 0n : sumPerCpuU64(Buffer.from(value, 'hex'));
    };
    return {
      eventsLost: await read(COUNTER.EVENTS_LOST),
      eventsSuppressed: await read(COUNTER.EVENTS_SUPPRESSED),
    };
  }

  /** Keys currently in a map, hex-encoded (adoption after a restart). */
  async mapKeys(map: 'ipcache' | 'endpoints' | 'policy' | 'conntrack'): Promise<string[]> {
    return this.loader.request('keys', [map]);
  }

  /** The ipcache as it stands (a restarted agent adopts the identities the rules name). */
  async readIdentities(): Promise<{ cidr: string; identity: number }[]> {
    const keys = await this.mapKeys('ipcache');
    const values = await Promise.all(keys.map((key) => this.loader.request('lookup', ['ipcache', key])));
    const entries: { cidr: string; identity: number }[] = [];
    keys.forEach((key, index) => {
      const value = values[index]![0];
      if (value === undefined || value === '-') return;
      const bytes = Buffer.from(key, 'hex');
      const prefix = { prefixlen: bytes.readUInt32LE(0), addr: new Uint8Array(bytes.subarray(4, 20)) };
      entries.push({ cidr: formatPrefix(prefix), identity: Buffer.from(value, 'hex').readUInt32LE(0) });
    });
    return entries;
  }

  /** The host veth ifindexes that have an endpoint entry. */
  async endpointIfindexes(): Promise<number[]> {
    return (await this.mapKeys('endpoints')).map((key) => Buffer.from(key, 'hex').readUInt32LE(0));
  }

  async close(): Promise<void> {
    await this.loader.close();
  }

  async kill(): Promise<void> {
    await this.loader.kill();
  }
}

export { DIRECTION };
