/**
 * Observed flows (issue 10) in Redis, per cluster: one hash per flow (its ends, protocol, port and
 * verdict, the count, first and last seen), indexed per namespace of either end in a sorted set
 * scored by last seen. Agents add to it (allowed flows they sampled, drops they saw); `/netpol
 * suggest` and `/netpol graph` read a namespace's flows from it.
 *
 * Kept for a retention period: each flow hash expires `retentionMs` after it was last seen, and
 * every write trims its indexes of what is older (reads skip it too). The retention is the agents'
 * setting (NETPOL_FLOW_RETENTION), not the readers': every write also saves it per cluster
 * (`<prefix>:flows:<cluster>:retention`, expiring with the flows it governs), so the bot cuts its
 * reads where the agents do and can say how long flows are kept. Agents of one cluster are expected
 * to share the setting (one DaemonSet); if they differ, the last write's value wins. Bounded: a
 * namespace's index keeps its `maxPerNamespace` most recently seen flows; the rest are evicted and
 * counted (`<prefix>:flows:<cluster>:evicted`). One Lua script per flow makes a write atomic: two
 * agents reporting the same flow add up, first seen only goes down and last seen only up.
 *
 * A would-block flow's auditPolicies (issue 10: the audit-mode policies that would have dropped
 * it, which the audit report finds a request's would-be drops by) are not part of its id: they are
 * kept in the flow's hash as the union of what every report named (two agents, or two pods of one
 * workload, may name different sets), in the same script.
 *
 * Likewise the nodes whose agents saw a flow (`nodes`, each agent reports its own) are kept as a
 * union in the hash, bounded: at most MAX_FLOW_NODES names, the first ones in sorted order, so the
 * hash stays small in a cluster of thousands of nodes and the names kept do not depend on the order
 * of the reports. Once a flow has been seen by more nodes than that, every name (the kept ones included)
 * also goes into a HyperLogLog beside the hash (`<flow key>:nodes`, at most 12 KB, expiring with
 * the hash), whose count is saved in the hash (`nodecount`, read back as `nodeCount`). Up to the
 * bound the names are exact and no count is kept; past it the count is Redis's HLL estimate (about
 * 1% standard error, near exact for a few hundred nodes). A report without nodes (an agent older
 * than this field) leaves what the flow had.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { FlowPeer, ObservedFlow } from '../../contracts/observed-flows';

export const DEFAULT_FLOW_RETENTION_MS = 7 * 24 * 3600 * 1000;
export const DEFAULT_MAX_FLOWS_PER_NAMESPACE = 2000;
/** Node names kept in a flow's hash; past them only their count (see the module comment). */
export const MAX_FLOW_NODES = 16;

export interface FlowStoreOptions {
  retentionMs?: number;
  maxPerNamespace?: number;
}

const RECORD = `
local first = tonumber(ARGV[3])
local last = tonumber(ARGV[4])
local retention = tonumber(ARGV[5])
local now = tonumber(ARGV[6])
local max = tonumber(ARGV[7])
local had_first = redis.call('HGET', KEYS[1], 'first')
if had_first and tonumber(had_first) < first then first = tonumber(had_first) end
local had_last = redis.call('HGET', KEYS[1], 'last')
if had_last and tonumber(had_last) > last then last = tonumber(had_last) end
redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'first', string.format('%d', first), 'last', string.format('%d', last))
redis.call('HINCRBY', KEYS[1], 'count', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], last + retention)
-- The nodes' HyperLogLog, when the flow has one, lives exactly as long as its hash.
redis.call('PEXPIREAT', KEYS[3], last + retention)
local evicted = 0
for i = 4, #KEYS do
  redis.call('ZADD', KEYS[i], last, ARGV[8])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. string.format('%d', now - retention))
  local over = redis.call('ZCARD', KEYS[i]) - max
  if over > 0 then
    redis.call('ZREMRANGEBYRANK', KEYS[i], 0, over - 1)
    evicted = evicted + over
  end
  redis.call('PEXPIRE', KEYS[i], retention)
end
if evicted > 0 then redis.call('INCRBY', KEYS[2], evicted) end
-- The sorted union of the JSON list in the hash's field and the JSON list given (non-empty).
local function union_with(field, given)
  local out, seen = {}, {}
  local had = redis.call('HGET', KEYS[1], field)
  for _, list in ipairs({ had and cjson.decode(had) or {}, cjson.decode(given) }) do
    for _, item in ipairs(list) do
      if not seen[item] then
        seen[item] = true
        table.insert(out, item)
      end
    end
  end
  table.sort(out)
  return out
end
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[1], 'audit', cjson.encode(union_with('audit', ARGV[9])))
end
if ARGV[10] ~= '' then
  local limit = tonumber(ARGV[11])
  local names = union_with('nodes', ARGV[10])
  if #names > limit or redis.call('EXISTS', KEYS[3]) == 1 then
    -- Past the bound: the HLL holds every name seen since (the kept ones were added when it began).
    for _, name in ipairs(names) do redis.call('PFADD', KEYS[3], name) end
    redis.call('PEXPIREAT', KEYS[3], last + retention)
    local count = math.max(redis.call('PFCOUNT', KEYS[3]), #names)
    redis.call('HSET', KEYS[1], 'nodecount', string.format('%d', count))
    while #names > limit do table.remove(names) end
  end
  redis.call('HSET', KEYS[1], 'nodes', cjson.encode(names))
end
return evicted
`;

/**
 * What names a flow (its hash's `meta`); auditPolicies (`audit`) and nodes (`nodes`, `nodecount`) are
 * kept beside it, merged.
 */
type Meta = Pick<ObservedFlow, 'source' | 'destination' | 'protocol' | 'port' | 'verdict'>;

/** What names one end of a flow in its identity (a workload by namespace/name, else the address). */
export function peerKey(peer: FlowPeer): string {
  return peer.kind === 'workload' ? `w:${peer.namespace}/${peer.name}` : `a:${peer.address}`;
}

/** A flow's id: the same ends, protocol, port and verdict are one flow whichever agent saw it. */
export function flowId(flow: Meta): string {
  const identity = [
    flow.verdict,
    peerKey(flow.source),
    peerKey(flow.destination),
    flow.protocol,
    flow.port,
  ].join('|');
  return createHash('sha256').update(identity).digest('hex').slice(0, 24);
}

export function flowNamespaces(flow: Pick<ObservedFlow, 'source' | 'destination'>): string[] {
  const out = new Set<string>();
  for (const peer of [flow.source, flow.destination]) if (peer.kind === 'workload') out.add(peer.namespace);
  return [...out];
}

/** A namespace's flows and the retention they were cut at. */
export interface FlowList {
  flows: ObservedFlow[];
  /** The agents' saved retention (ms) the list was cut at; undefined: none saved, this store's used. */
  retentionMs: number | undefined;
}

export class FlowStore {
  private readonly retentionMs: number;
  private readonly maxPerNamespace: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    options: FlowStoreOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? DEFAULT_FLOW_RETENTION_MS;
    this.maxPerNamespace = options.maxPerNamespace ?? DEFAULT_MAX_FLOWS_PER_NAMESPACE;
  }

  private base(cluster: string): string {
    return `${this.prefix}:flows:${cluster}`;
  }

  /** Adds these flows' counts (a flow with no workload end has no namespace and is not kept). */
  async record(cluster: string, flows: readonly ObservedFlow[], now: Date): Promise<{ evicted: number }> {
    const base = this.base(cluster);
    const pipeline = this.redis.pipeline();
    let writes = 0;
    for (const flow of flows) {
      const namespaces = flowNamespaces(flow);
      if (namespaces.length === 0) continue;
      const meta: Meta = {
        source: flow.source,
        destination: flow.destination,
        protocol: flow.protocol,
        port: flow.port,
        verdict: flow.verdict,
      };
      const id = flowId(meta);
      const nodes = [...new Set(flow.nodes ?? [])].filter((name) => name !== '');
      pipeline.eval(
        RECORD,
        3 + namespaces.length,
        `${base}:flow:${id}`,
        `${base}:evicted`,
        `${base}:flow:${id}:nodes`,
        ...namespaces.map((ns) => `${base}:ns:${ns}`),
        JSON.stringify(meta),
        String(flow.count),
        String(Date.parse(flow.firstSeen)),
        String(Date.parse(flow.lastSeen)),
        String(this.retentionMs),
        String(now.getTime()),
        String(this.maxPerNamespace),
        id,
        flow.auditPolicies === undefined || flow.auditPolicies.length === 0
          ? ''
          : JSON.stringify(flow.auditPolicies),
        nodes.length === 0 ? '' : JSON.stringify(nodes),
        String(MAX_FLOW_NODES),
      );
      writes++;
    }
    if (writes === 0) return { evicted: 0 };
    // Refreshed with every write; once no agent has written for a retention period, every flow it
    // governs has expired too.
    pipeline.set(`${base}:retention`, String(this.retentionMs), 'PX', this.retentionMs);
    let evicted = 0;
    for (const [i, [err, result]] of ((await pipeline.exec()) ?? []).entries()) {
      if (err !== null) throw err;
      if (i < writes) evicted += Number(result); // the scripts' results; the last is the SET's
    }
    return { evicted };
  }

  /**
   * How long the cluster's agents keep flows (ms), as their last write saved it; undefined when no
   * agent has written within its retention (or only agents older than this key did).
   */
  async retention(cluster: string): Promise<number | undefined> {
    const text = await this.redis.get(`${this.base(cluster)}:retention`);
    const ms = text === null ? NaN : Number(text);
    return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
  }

  /**
   * The flows seen to or from a namespace within the retention period (the agents' saved one, else
   * this store's), most recently seen first.
   */
  async list(cluster: string, namespace: string, now: Date): Promise<ObservedFlow[]> {
    return (await this.listWithRetention(cluster, namespace, now)).flows;
  }

  /** list(), with the agents' retention it read (one read of it for a caller that names it too). */
  async listWithRetention(cluster: string, namespace: string, now: Date): Promise<FlowList> {
    const base = this.base(cluster);
    const reported = await this.retention(cluster);
    const ids = await this.redis.zrevrangebyscore(
      `${base}:ns:${namespace}`,
      '+inf',
      now.getTime() - (reported ?? this.retentionMs),
    );
    return { flows: ids.length === 0 ? [] : await this.read(base, ids), retentionMs: reported };
  }

  private async read(base: string, ids: readonly string[]): Promise<ObservedFlow[]> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(`${base}:flow:${id}`);
    const flows: ObservedFlow[] = [];
    for (const [err, hash] of (await pipeline.exec()) ?? []) {
      if (err !== null) throw err;
      const fields = hash as Record<string, string>;
      if (fields.meta === undefined) continue; // expired between the index read and this one
      const meta = JSON.parse(fields.meta) as Meta;
      flows.push({
        ...meta,
        ...(fields.audit === undefined ? {} : { auditPolicies: JSON.parse(fields.audit) as string[] }),
        ...(fields.nodes === undefined ? {} : { nodes: JSON.parse(fields.nodes) as string[] }),
        ...(fields.nodecount === undefined ? {} : { nodeCount: Number(fields.nodecount) }),
        count: Number(fields.count),
        firstSeen: new Date(Number(fields.first)).toISOString(),
        lastSeen: new Date(Number(fields.last)).toISOString(),
      });
    }
    return flows;
  }

  /** Flows evicted from a namespace index because it was full, since the cluster's first flow. */
  async evicted(cluster: string): Promise<number> {
    return Number((await this.redis.get(`${this.base(cluster)}:evicted`)) ?? 0);
  }
}
