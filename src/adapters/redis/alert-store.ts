/**
 * Drop alerts' aggregates in Redis (issue 10), shared by every alert worker of a cluster and read
 * by the bot (Request allow, and recording where an alert's message landed). One hash per group and
 * window: what the group is (source, destination, port, protocol, direction), how many drops, on
 * which nodes, and the state of its Slack message (its ts once posted, the job in flight).
 *
 * `apply` is the only write of counts: one Lua script that acknowledges each stream entry (XACK)
 * and counts it only if the ack took it out of the consumer group's pending list. Aggregate and ack
 * are one atomic step, so a worker that dies before it counts a batch leaves every entry pending
 * (another worker claims them again), and an entry claimed twice (a slow worker whose entries were
 * claimed by another) is counted by whichever acks it first, never by both.
 *
 * Keys (`<prefix>:alerts:<cluster>:`): `g:<id>` (hash), `g:<id>:nodes` (set), `dirty` (zset: groups whose
 * message is behind their count), `window:<start>` (the groups of a window, for its digest),
 * `windows` (zset of window starts by end time), `digest:<start>` (the claim on a window's digest),
 * `held` (set: groups a mute kept from being sent, brought up to date once unmuted), `recheck`
 * (zset: groups whose message could not name the blocking policy because the cluster snapshot was
 * older than their last drop, scored by that drop's time: due again once a snapshot is that new).
 */
import type Redis from 'ioredis';

/** One end of a flow: a workload (a pod's owner-ish name) or an address nothing in the cluster holds. */
export type AlertPeer =
  | {
      kind: 'workload';
      namespace: string;
      name: string;
      /** The narrowest sensible selector of the workload's pods (its name label, else its own labels). */
      selector: Record<string, string>;
    }
  | { kind: 'address'; address: string };

/** What drops are aggregated by. */
export interface AlertGroup {
  cluster: string;
  direction: 'ingress' | 'egress';
  source: AlertPeer;
  destination: AlertPeer;
  port: number;
  /** IP protocol number. */
  protocol: number;
}

/** One drop as it was seen first in its group: the pods and addresses behind the group's names. */
export interface AlertSample {
  sourcePod?: { namespace: string; name: string };
  destinationPod?: { namespace: string; name: string };
  source: string;
  destination: string;
  /** The dataplane's reason (NO_RULE_INGRESS, ...). */
  reason: string;
}

export interface AlertRecord {
  id: string;
  group: AlertGroup;
  windowStart: number;
  windowEnd: number;
  count: number;
  nodes: string[];
  firstAt: string;
  lastAt: string;
  sample: AlertSample;
  /** Where its message is, once posted. */
  channel?: string;
  ts?: string;
}

/** A group a batch adds drops to: what it is, and the pods and addresses behind it. */
export interface AlertBatchGroup {
  id: string;
  group: AlertGroup;
  windowStart: number;
  windowEnd: number;
  sample: AlertSample;
}

/**
 * One stream entry of a batch and the drops it adds to each group (an entry from a batching agent
 * carries many events, possibly of several groups). Counted only if its acknowledgement is first.
 */
export interface AlertBatchEntry {
  entryId: string;
  /** `group` indexes the batch's groups; drops counts suppressed ones; times are the events' own. */
  parts: { group: number; drops: number; node: string; firstAt: string; lastAt: string }[];
}

export interface AlertBatch {
  groups: AlertBatchGroup[];
  entries: AlertBatchEntry[];
}

/** Which alert a Slack job is: its onPosted hook records where the message landed. */
export interface AlertRef {
  cluster: string;
  id: string;
}

/** What the sender must do for a dirty group (see claimSend). */
export type SendClaim =
  | { action: 'busy' }
  | { action: 'gone' }
  | { action: 'post'; seq: number }
  | { action: 'update'; seq: number; channel: string; ts: string };

// ARGV: consumer group, ttl, key base, number of groups, then per group: id, group JSON, sample
// JSON, window start, window end; then the number of entries, then per entry: its id, number of
// parts, then per part: group index (1-based), drops, node, first time, last time. Flat arguments,
// not JSON: this runs once per batch of a drop storm. Per entry one XACK (the only per-entry
// Redis call): its reply says whether this call is the first to count the entry. Per group one
// set of writes, whatever the number of entries.
const APPLY = `
local stream, dirty, windows = KEYS[1], KEYS[2], KEYS[3]
local consumerGroup, ttl, base = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local groups = {}
local i = 5
for g = 1, tonumber(ARGV[4]) do
  groups[g] = { id = ARGV[i], groupJson = ARGV[i + 1], sampleJson = ARGV[i + 2], windowStart = ARGV[i + 3],
    windowEnd = ARGV[i + 4], drops = 0, nodes = {}, seen = {} }
  i = i + 5
end
local entries = tonumber(ARGV[i])
i = i + 1
local counted, countedDrops = 0, 0
for _ = 1, entries do
  local entryId, parts = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  if redis.call('XACK', stream, consumerGroup, entryId) == 1 then
    counted = counted + 1
    for _ = 1, parts do
      local g = groups[tonumber(ARGV[i])]
      local d, node, first, last = tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
      g.drops = g.drops + d
      countedDrops = countedDrops + d
      if not g.seen[node] then
        g.seen[node] = true
        g.nodes[#g.nodes + 1] = node
      end
      if g.first == nil or first < g.first then g.first = first end
      if g.last == nil or last > g.last then g.last = last end
      i = i + 5
    end
  else
    i = i + 5 * parts
  end
end
for _, g in ipairs(groups) do
  if g.drops > 0 then
    local key = base .. 'g:' .. g.id
    if redis.call('HSETNX', key, 'group', g.groupJson) == 1 then
      redis.call('HSET', key, 'windowStart', g.windowStart, 'windowEnd', g.windowEnd,
        'sample', g.sampleJson, 'firstAt', g.first, 'lastAt', g.last)
    else
      if g.first < redis.call('HGET', key, 'firstAt') then redis.call('HSET', key, 'firstAt', g.first) end
      if g.last > redis.call('HGET', key, 'lastAt') then redis.call('HSET', key, 'lastAt', g.last) end
    end
    redis.call('HINCRBY', key, 'count', g.drops)
    redis.call('SADD', key .. ':nodes', unpack(g.nodes))
    redis.call('EXPIRE', key, ttl)
    redis.call('EXPIRE', key .. ':nodes', ttl)
    redis.call('ZADD', dirty, 0, g.id)
    local window = base .. 'window:' .. g.windowStart
    redis.call('SADD', window, g.id)
    redis.call('EXPIRE', window, ttl)
    redis.call('ZADD', windows, g.windowEnd, g.windowStart)
  end
end
return { counted, countedDrops }
`;

/**
 * Claims the right to send a group's message: at most one job per group is in flight (the rest of
 * its drops fold into the count that job, or the next, shows). Two leases: a claim not followed by
 * `queued` within `claimLeaseMs` was abandoned (the worker died before queuing the job); a queued
 * job not delivered within `lostAfterMs` counts as lost (Slack refused it for good). Either may
 * then be replaced.
 */
const CLAIM_SEND = `
local key = KEYS[1]
local now, lostAfter, claimLease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('EXISTS', key) == 0 then return {'gone'} end
local queuedAt = redis.call('HGET', key, 'queuedAt')
if queuedAt and now - tonumber(queuedAt) < lostAfter then return {'busy'} end
local pendingAt = redis.call('HGET', key, 'pendingAt')
if not queuedAt and pendingAt and now - tonumber(pendingAt) < claimLease then return {'busy'} end
local seq = redis.call('HINCRBY', key, 'seq', 1)
redis.call('HDEL', key, 'queuedAt')
redis.call('HSET', key, 'pendingAt', now)
local ts = redis.call('HGET', key, 'ts')
if ts then return {'update', tostring(seq), redis.call('HGET', key, 'channel'), ts} end
return {'post', tostring(seq)}
`;

/** Dirty groups due by ARGV[1], leased until ARGV[2]: a dead taker's lease runs out. */
const TAKE_DIRTY = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
`;

/** Removes the groups still under that lease (one counted again meanwhile is due again: kept). */
const DONE_DIRTY = `
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) == ARGV[1] then redis.call('ZREM', KEYS[1], ARGV[i]) end
end
return 0
`;

/** The message landed: remember where (a post), and let the next job go. */
const DELIVERED = `
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return 0 end
if ARGV[1] ~= '' then redis.call('HSET', key, 'channel', ARGV[1], 'ts', ARGV[2]) end
redis.call('HDEL', key, 'pendingAt', 'queuedAt')
return 1
`;

/** Rechecks due by a snapshot written at ARGV[1] become dirty; those older than ARGV[2] are let go. */
const DUE_RECHECKS = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], 0, id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
return ids
`;

export interface AlertStoreOptions {
  prefix: string;
  /** How long a group is kept after its last drop (its button still works meanwhile). Default 1 day. */
  ttlSeconds?: number;
}

export class AlertStore {
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: AlertStoreOptions,
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 86_400;
  }

  /** The keys of one cluster's alerts start with this. */
  base(cluster: string): string {
    return `${this.options.prefix}:alerts:${cluster}:`;
  }

  /**
   * Counts a batch and acknowledges its entries in one atomic step; returns how many entries (and
   * the drops they carry) this call was first to acknowledge (the others were counted already).
   */
  async apply(
    cluster: string,
    stream: string,
    consumerGroup: string,
    batch: AlertBatch,
  ): Promise<{ entries: number; drops: number }> {
    if (batch.entries.length === 0) return { entries: 0, drops: 0 };
    const base = this.base(cluster);
    const args: string[] = [consumerGroup, String(this.ttlSeconds), base, String(batch.groups.length)];
    for (const g of batch.groups)
      args.push(
        g.id,
        JSON.stringify(g.group),
        JSON.stringify(g.sample),
        String(g.windowStart),
        String(g.windowEnd),
      );
    args.push(String(batch.entries.length));
    for (const e of batch.entries) {
      args.push(e.entryId, String(e.parts.length));
      for (const p of e.parts) args.push(String(p.group + 1), String(p.drops), p.node, p.firstAt, p.lastAt);
    }
    // As one array (ioredis flattens it): a storm's batch is tens of thousands of arguments, too
    // many for a spread call.
    const reply = (await this.redis.eval(APPLY, 3, [stream, `${base}dirty`, `${base}windows`, ...args])) as [
      number,
      number,
    ];
    const [entries, drops] = reply;
    return { entries: Number(entries), drops: Number(drops) };
  }

  async get(cluster: string, id: string): Promise<AlertRecord | undefined> {
    const key = `${this.base(cluster)}g:${id}`;
    const [[, hash], [, nodes]] = (await this.redis.multi().hgetall(key).smembers(`${key}:nodes`).exec()) as [
      [null, Record<string, string>],
      [null, string[]],
    ];
    if (hash.group === undefined) return undefined;
    return {
      id,
      group: JSON.parse(hash.group) as AlertGroup,
      windowStart: Number(hash.windowStart),
      windowEnd: Number(hash.windowEnd),
      count: Number(hash.count ?? '0'),
      nodes: [...nodes].sort(),
      firstAt: hash.firstAt ?? '',
      lastAt: hash.lastAt ?? '',
      sample: JSON.parse(hash.sample ?? '{}') as AlertSample,
      ...(hash.channel === undefined ? {} : { channel: hash.channel }),
      ...(hash.ts === undefined ? {} : { ts: hash.ts }),
    };
  }

  /**
   * Up to `count` groups whose message is behind, each leased to this caller until `leaseUntil`
   * (epoch ms): a caller that dies holding them leaves them to be taken again once the lease ends.
   */
  async takeDirty(cluster: string, count: number, nowMs: number, leaseUntil: number): Promise<string[]> {
    return (await this.redis.eval(
      TAKE_DIRTY,
      1,
      `${this.base(cluster)}dirty`,
      String(nowMs),
      String(leaseUntil),
      String(count),
    )) as string[];
  }

  /** The groups were handled under the lease: done with, unless counted again meanwhile. */
  async doneDirty(cluster: string, ids: readonly string[], leaseUntil: number): Promise<void> {
    if (ids.length > 0)
      await this.redis.eval(DONE_DIRTY, 1, `${this.base(cluster)}dirty`, String(leaseUntil), ...ids);
  }

  /** Due again at once (their message is in flight: look again next time). */
  async markDirty(cluster: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0)
      await this.redis.zadd(`${this.base(cluster)}dirty`, ...ids.flatMap((id) => ['0', id]));
  }

  /** Whether a group's message is behind its count. */
  async isDirty(cluster: string, id: string): Promise<boolean> {
    return (await this.redis.zscore(`${this.base(cluster)}dirty`, id)) !== null;
  }

  async claimSend(
    cluster: string,
    id: string,
    nowMs: number,
    leases: { lostAfterMs: number; claimLeaseMs: number },
  ): Promise<SendClaim> {
    const reply = (await this.redis.eval(
      CLAIM_SEND,
      1,
      `${this.base(cluster)}g:${id}`,
      String(nowMs),
      String(leases.lostAfterMs),
      String(leases.claimLeaseMs),
    )) as string[];
    switch (reply[0]) {
      case 'post':
        return { action: 'post', seq: Number(reply[1]) };
      case 'update':
        return { action: 'update', seq: Number(reply[1]), channel: reply[2] ?? '', ts: reply[3] ?? '' };
      case 'busy':
        return { action: 'busy' };
      default:
        return { action: 'gone' };
    }
  }

  /** The claimed send's job is in the outbound queue: it now has `lostAfterMs` to be delivered. */
  async queued(cluster: string, id: string, nowMs: number): Promise<void> {
    const key = `${this.base(cluster)}g:${id}`;
    // Only while the claim stands: a delivery that came first has cleared it already.
    await this.redis.eval(
      "if redis.call('HEXISTS', KEYS[1], 'pendingAt') == 1 then redis.call('HSET', KEYS[1], 'queuedAt', ARGV[1]) end",
      1,
      key,
      String(nowMs),
    );
  }

  /** Gives a claimed send back unsent (the job could not be queued). */
  async releaseSend(cluster: string, id: string): Promise<void> {
    await this.redis.hdel(`${this.base(cluster)}g:${id}`, 'pendingAt', 'queuedAt');
  }

  /** An alert's message was delivered (from the Slack outbound worker's onPosted hook). */
  async delivered(ref: AlertRef, where: { channel: string; ts: string } | undefined): Promise<void> {
    await this.redis.eval(
      DELIVERED,
      1,
      `${this.base(ref.cluster)}g:${ref.id}`,
      where?.channel ?? '',
      where?.ts ?? '',
    );
  }

  /** A mute kept these groups' messages behind their counts (see heldGroups). */
  async hold(cluster: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const key = `${this.base(cluster)}held`;
    await this.redis
      .multi()
      .sadd(key, ...ids)
      .expire(key, this.ttlSeconds)
      .exec();
  }

  /** The groups a mute kept back, to be sent again once no mute covers them. */
  async heldGroups(cluster: string): Promise<string[]> {
    return this.redis.smembers(`${this.base(cluster)}held`);
  }

  async unhold(cluster: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.srem(`${this.base(cluster)}held`, ...ids);
  }

  /**
   * The group's message could not blame a policy: the snapshot predates its last drop (`dropMs`,
   * epoch ms). It is due again once a snapshot written at or after that time is read (dueRechecks).
   */
  async recheckLater(cluster: string, id: string, dropMs: number): Promise<void> {
    await this.redis.zadd(`${this.base(cluster)}recheck`, String(dropMs), id);
  }

  /**
   * Marks dirty, and returns, the groups waiting for a snapshot written by `snapshotMs`; forgets
   * those waiting longer than a group is kept (the snapshot never caught up: nothing changed).
   */
  async dueRechecks(cluster: string, snapshotMs: number, nowMs: number): Promise<string[]> {
    const base = this.base(cluster);
    return (await this.redis.eval(
      DUE_RECHECKS,
      2,
      `${base}recheck`,
      `${base}dirty`,
      String(snapshotMs),
      String(nowMs - this.ttlSeconds * 1000),
    )) as string[];
  }

  /** Window starts whose window ended at or before `endedBy` (epoch ms) and has no digest yet. */
  async closedWindows(cluster: string, endedBy: number): Promise<number[]> {
    const starts = await this.redis.zrangebyscore(`${this.base(cluster)}windows`, '-inf', String(endedBy));
    return starts.map(Number);
  }

  /** True for exactly one caller per window: that caller posts the digest. */
  async claimDigest(cluster: string, windowStart: number): Promise<boolean> {
    const base = this.base(cluster);
    const won = await this.redis.set(`${base}digest:${windowStart}`, '1', 'EX', this.ttlSeconds, 'NX');
    await this.redis.zrem(`${base}windows`, String(windowStart));
    return won === 'OK';
  }

  async windowGroups(cluster: string, windowStart: number): Promise<AlertRecord[]> {
    const ids = await this.redis.smembers(`${this.base(cluster)}window:${windowStart}`);
    const records = await Promise.all(ids.sort().map((id) => this.get(cluster, id)));
    return records.filter((r): r is AlertRecord => r !== undefined);
  }
}

/** The Request allow button's value: `<cluster>/<alert id>` (neither contains `/`). */
export function alertButtonValue(ref: AlertRef): string {
  return `${ref.cluster}/${ref.id}`;
}

/** A Request allow button's value back; `cluster` is absent when the value names none. */
export function parseAlertButtonValue(value: string): { cluster?: string; id: string } {
  const at = value.indexOf('/');
  return at < 0 ? { id: value } : { cluster: value.slice(0, at), id: value.slice(at + 1) };
}
