/** The flow store over a real redis-server: counts add up, retention and the per-namespace bound hold. */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { startRedis, type TestRedis } from '../../devtools/redis/redis-server';
import type { ObservedFlow } from '../../contracts/observed-flows';
import { FlowStore } from './flow-store';

let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

const prefix = () => `flows-${randomBytes(4).toString('hex')}`;
// Flow hashes expire at an absolute time (last seen + retention) on the real Redis clock, so the
// test's times are taken from now: a fixed date would expire them on the day it passed.
const T0 = Math.floor(Date.now() / 1000) * 1000;
const at = (ms: number) => new Date(T0 + ms).toISOString();

function flow(
  source: string,
  port: number,
  seenMs: number,
  count = 1,
  verdict: ObservedFlow['verdict'] = 'allowed',
): ObservedFlow {
  return {
    source: { kind: 'workload', namespace: 'frontend', name: source, selector: { app: source } },
    destination: { kind: 'workload', namespace: 'backend', name: 'api', selector: { app: 'api' } },
    protocol: 'TCP',
    port,
    verdict,
    count,
    firstSeen: at(seenMs),
    lastSeen: at(seenMs),
  };
}

describe('FlowStore', () => {
  it("keeps a would-block flow's auditPolicies as the union of what its reports named, outside its id", async () => {
    const store = new FlowStore(client, prefix());
    const audited = (policies: string[] | undefined, count: number): ObservedFlow => ({
      ...flow('nginx', 80, 1_000, count, 'would-block'),
      ...(policies === undefined ? {} : { auditPolicies: policies }),
    });
    await store.record('prod', [audited(['backend/deny-all'], 2)], new Date(T0 + 1_000));
    // Another agent (another pod of the workload) names another set; a third names none.
    await store.record('prod', [audited(['backend/audit-b', 'backend/deny-all'], 1)], new Date(T0 + 2_000));
    await store.record('prod', [audited(undefined, 4)], new Date(T0 + 3_000));
    await store.record('prod', [flow('nginx', 80, 500, 1, 'blocked')], new Date(T0 + 3_000));
    const flows = await store.list('prod', 'backend', new Date(T0 + 4_000));
    expect(flows.map((f) => [f.verdict, f.count, f.auditPolicies])).toEqual([
      ['would-block', 7, ['backend/audit-b', 'backend/deny-all']],
      ['blocked', 1, undefined],
    ]);
  });

  it('keeps the nodes that saw a flow as the union of what the reports named; a report without them keeps it', async () => {
    const store = new FlowStore(client, prefix());
    const from = (nodes: string[] | undefined, count: number): ObservedFlow => ({
      ...flow('nginx', 80, 1_000, count, 'would-block'),
      ...(nodes === undefined ? {} : { nodes }),
    });
    await store.record('prod', [from(['node-b'], 2)], new Date(T0 + 1_000));
    await store.record('prod', [from(['node-a'], 1), flow('nginx', 443, 500)], new Date(T0 + 2_000));
    // The same node again, and an agent older than the field: neither changes the set.
    await store.record('prod', [from(['node-b'], 1), from(undefined, 1)], new Date(T0 + 3_000));
    const flows = await store.list('prod', 'backend', new Date(T0 + 4_000));
    expect(flows.map((f) => [f.port, f.count, f.nodes, f.nodeCount])).toEqual([
      [80, 5, ['node-a', 'node-b'], undefined],
      [443, 1, undefined, undefined],
    ]);
  });

  it('keeps at most 16 node names, the first sorted, and counts every distinct node past them', async () => {
    const p = prefix();
    const store = new FlowStore(client, p, { retentionMs: 60_000 });
    const name = (i: number) => `node-${String(i).padStart(2, '0')}`;
    const from = (node: string, seenMs: number): ObservedFlow => ({
      ...flow('nginx', 80, seenMs),
      nodes: [node],
    });
    // One agent each, highest name first, so the bound has to let later (smaller) names in.
    for (let i = 19; i >= 0; i--) await store.record('prod', [from(name(i), 1_000)], new Date(T0 + 1_000));
    await store.record('prod', [from(name(3), 1_000), from(name(18), 1_000)], new Date(T0 + 1_000));
    const read = async () => (await store.list('prod', 'backend', new Date(T0 + 2_000)))[0]!;
    const kept = Array.from({ length: 16 }, (_, i) => name(i));
    expect(await read()).toMatchObject({ count: 22, nodes: kept, nodeCount: 20 });
    // A name sorting first displaces the last kept one, which is still counted.
    await store.record('prod', [from('a-node', 5_000)], new Date(T0 + 5_000));
    expect(await read()).toMatchObject({ nodes: ['a-node', ...kept.slice(0, 15)], nodeCount: 21 });
    // The count beside the hash expires with it (last seen + retention).
    const [id] = await client.zrange(`${p}:flows:prod:ns:backend`, 0, -1);
    const hash = `${p}:flows:prod:flow:${id}`;
    expect(Number(await client.call('PEXPIRETIME', `${hash}:nodes`))).toBe(
      Number(await client.call('PEXPIRETIME', hash)),
    );
    expect(Number(await client.call('PEXPIRETIME', hash))).toBe(T0 + 5_000 + 60_000);
  });

  it('adds counts of the same flow from several reports, keeping first and last seen, under both namespaces', async () => {
    const store = new FlowStore(client, prefix());
    await store.record('prod', [flow('nginx', 8080, 5_000, 2)], new Date(T0 + 5_000));
    await store.record(
      'prod',
      [flow('nginx', 8080, 1_000, 3), flow('nginx', 8080, 1_000, 4, 'blocked')],
      new Date(T0 + 6_000),
    );
    const backend = await store.list('prod', 'backend', new Date(T0 + 7_000));
    // Most recently seen first.
    expect(backend.map((f) => [f.verdict, f.count, f.firstSeen, f.lastSeen])).toEqual([
      ['allowed', 5, at(1_000), at(5_000)],
      ['blocked', 4, at(1_000), at(1_000)],
    ]);
    expect(await store.list('prod', 'frontend', new Date(T0 + 7_000))).toHaveLength(2);
    expect(await store.list('staging', 'backend', new Date(T0 + 7_000))).toEqual([]);
  });

  it('forgets a flow not seen within the retention period', async () => {
    const p = prefix();
    const store = new FlowStore(client, p, { retentionMs: 60_000 });
    await store.record('prod', [flow('old', 80, 0)], new Date(T0));
    await store.record('prod', [flow('new', 80, 50_000)], new Date(T0 + 50_000));
    expect((await store.list('prod', 'backend', new Date(T0 + 50_000))).map((f) => f.source)).toHaveLength(2);
    // Read after the old one's retention: not listed, and the next write trims it from the index.
    expect((await store.list('prod', 'backend', new Date(T0 + 70_000))).map((f) => f.firstSeen)).toEqual([
      at(50_000),
    ]);
    await store.record('prod', [flow('new', 80, 70_000)], new Date(T0 + 70_000));
    expect(await client.zcard(`${p}:flows:prod:ns:backend`)).toBe(1);
    // Each flow's hash carries its own expiry: last seen + retention (PEXPIRETIME, Redis 7).
    const ids = await client.zrange(`${p}:flows:prod:ns:backend`, 0, -1);
    expect(Number(await client.call('PEXPIRETIME', `${p}:flows:prod:flow:${ids[0]}`))).toBe(
      T0 + 70_000 + 60_000,
    );
  });

  it("saves the agents' retention per cluster, and a reader cuts its list where they do, beyond 7 days", async () => {
    const p = prefix();
    const DAY = 86_400_000;
    const now = Date.now();
    const seen = (port: number, agoMs: number): ObservedFlow => {
      const when = new Date(now - agoMs).toISOString();
      return { ...flow('nginx', port, 0), firstSeen: when, lastSeen: when };
    };
    // The bot's store: no retention of its own (the 7-day default), as run-bot makes it.
    const reader = new FlowStore(client, p);
    expect(await reader.retention('prod')).toBeUndefined();
    await new FlowStore(client, p, { retentionMs: 14 * DAY }).record(
      'prod',
      [seen(80, 10 * DAY), seen(443, 0)],
      new Date(now),
    );
    expect(await reader.retention('prod')).toBe(14 * DAY);
    expect(await reader.retention('staging')).toBeUndefined();
    // Refreshed by each write, it expires with the flows it governs.
    const ttl = await client.pttl(`${p}:flows:prod:retention`);
    expect(ttl).toBeGreaterThan(14 * DAY - 60_000);
    expect(ttl).toBeLessThanOrEqual(14 * DAY);
    expect((await reader.list('prod', 'backend', new Date(now))).map((f) => f.port)).toEqual([443, 80]);
    // The list says which retention it was cut at (what /netpol suggest names), read once.
    const listed = await reader.listWithRetention('prod', 'backend', new Date(now));
    expect([listed.flows.map((f) => f.port), listed.retentionMs]).toEqual([[443, 80], 14 * DAY]);
    // Without the agents' word, the reader's own 7 days would have hidden the older flow.
    await client.del(`${p}:flows:prod:retention`);
    expect((await reader.list('prod', 'backend', new Date(now))).map((f) => f.port)).toEqual([443]);
    expect((await reader.listWithRetention('prod', 'backend', new Date(now))).retentionMs).toBeUndefined();
    // A shorter retention is honoured too: the next write (1 hour) replaces the saved value.
    await new FlowStore(client, p, { retentionMs: 3_600_000 }).record('prod', [seen(8080, 0)], new Date(now));
    expect(await reader.retention('prod')).toBe(3_600_000);
    expect(await reader.list('prod', 'backend', new Date(now + 2 * 3_600_000))).toEqual([]);
  });

  it('keeps a namespace to its most recently seen flows and counts what it evicted', async () => {
    const store = new FlowStore(client, prefix(), { maxPerNamespace: 3 });
    const flows = [0, 1, 2, 3, 4].map((i) => flow(`w${i}`, 80, i * 1000));
    await store.record('prod', flows, new Date(T0 + 5_000));
    const kept = await store.list('prod', 'backend', new Date(T0 + 5_000));
    expect(kept.map((f) => (f.source.kind === 'workload' ? f.source.name : ''))).toEqual(['w4', 'w3', 'w2']);
    expect(await store.evicted('prod')).toBe(4); // two from each of frontend's and backend's index
  });
});
