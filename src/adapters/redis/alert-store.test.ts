/**
 * The alert store's atomic steps over a real redis-server: a batch is counted only for the entries
 * its XACK takes out of the pending list (a batch applied twice, or by two consumers, counts once),
 * and one send per group is in flight until its delivery is recorded.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { startRedis, type TestRedis } from '../../devtools/redis/redis-server';
import { AlertStore, type AlertBatch, type AlertBatchGroup } from './alert-store';

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

const GROUP = 'netpol-alerts';

async function setUp() {
  const prefix = `store-${randomBytes(4).toString('hex')}`;
  const stream = `${prefix}:drops:prod`;
  await client.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await client.xadd(stream, '*', 'event', '{}')) as string);
  // Read by consumer a: pending until acknowledged.
  await client.xreadgroup('GROUP', GROUP, 'a', 'COUNT', 10, 'STREAMS', stream, '>');
  const group: AlertBatchGroup = {
    id: '0-abc',
    group: {
      cluster: 'prod',
      direction: 'ingress',
      source: { kind: 'address', address: '203.0.113.7' },
      destination: { kind: 'workload', namespace: 'backend', name: 'api', selector: { app: 'api' } },
      port: 443,
      protocol: 6,
    },
    windowStart: 1_764_669_600_000,
    windowEnd: 1_764_669_900_000,
    sample: { source: '203.0.113.7', destination: '10.244.2.20', reason: 'NO_RULE_INGRESS' },
  };
  const batch: AlertBatch = {
    groups: [group],
    entries: ids.map((entryId, i) => ({
      entryId,
      parts: [
        {
          group: 0,
          drops: i + 1,
          node: `node-${i}`,
          firstAt: `2025-12-02T10:00:0${i}Z`,
          lastAt: `2025-12-02T10:00:0${i}Z`,
        },
      ],
    })),
  };
  return { store: new AlertStore(client, { prefix }), stream, batch, id: group.id };
}

it('counts each stream entry once, whoever applies it and however often', async () => {
  const { store, stream, batch, id } = await setUp();
  expect(await store.apply('prod', stream, GROUP, batch)).toEqual({ entries: 3, drops: 6 });
  // The same entries again (a consumer that read them before another claimed and counted them).
  expect(await store.apply('prod', stream, GROUP, batch)).toEqual({ entries: 0, drops: 0 });
  const record = await store.get('prod', id);
  expect(record).toMatchObject({
    count: 6,
    nodes: ['node-0', 'node-1', 'node-2'],
    windowStart: batch.groups[0]!.windowStart,
  });
  expect(record?.firstAt).toBe('2025-12-02T10:00:00Z');
  expect(record?.lastAt).toBe('2025-12-02T10:00:02Z');
  expect(await client.xpending(stream, GROUP)).toEqual([0, null, null, null]);
  expect(await store.isDirty('prod', id)).toBe(true);
});

it('an entry carrying several groups adds to each; entries counted before add nothing to a later batch', async () => {
  const { store, stream, batch, id } = await setUp();
  const other: AlertBatchGroup = { ...batch.groups[0]!, id: `${id}-other` };
  // The first entry alone first (as a consumer that claimed it counts it), then all three, the
  // first of them now carrying drops of two groups.
  expect(
    await store.apply('prod', stream, GROUP, { groups: batch.groups, entries: [batch.entries[0]!] }),
  ).toEqual({
    entries: 1,
    drops: 1,
  });
  const mixed: AlertBatch = {
    groups: [batch.groups[0]!, other],
    entries: batch.entries.map((e) => ({
      ...e,
      parts: [
        ...e.parts,
        {
          group: 1,
          drops: 10,
          node: 'node-9',
          firstAt: '2025-12-02T10:00:05Z',
          lastAt: '2025-12-02T10:00:07Z',
        },
      ],
    })),
  };
  expect(await store.apply('prod', stream, GROUP, mixed)).toEqual({ entries: 2, drops: 2 + 3 + 20 });
  expect((await store.get('prod', id))?.count).toBe(6);
  expect(await store.get('prod', other.id)).toMatchObject({
    count: 20,
    nodes: ['node-9'],
    firstAt: '2025-12-02T10:00:05Z',
    lastAt: '2025-12-02T10:00:07Z',
  });
});

it('keeps one send in flight per group until it is delivered or its lease runs out', async () => {
  const { store, stream, batch, id } = await setUp();
  await store.apply('prod', stream, GROUP, batch);
  const leases = { lostAfterMs: 60_000, claimLeaseMs: 1_000 };
  expect(await store.claimSend('prod', id, 0, leases)).toEqual({ action: 'post', seq: 1 });
  // Claimed, not yet queued: busy within the claim lease, free after it (its claimer died).
  expect(await store.claimSend('prod', id, 500, leases)).toEqual({ action: 'busy' });
  expect(await store.claimSend('prod', id, 1_500, leases)).toEqual({ action: 'post', seq: 2 });
  await store.queued('prod', id, 1_500);
  // Queued: busy until delivered (or lost after lostAfterMs).
  expect(await store.claimSend('prod', id, 30_000, leases)).toEqual({ action: 'busy' });
  await store.delivered({ cluster: 'prod', id: id }, { channel: 'C0ALERTS', ts: '1.000100' });
  expect(await store.claimSend('prod', id, 30_001, leases)).toEqual({
    action: 'update',
    seq: 3,
    channel: 'C0ALERTS',
    ts: '1.000100',
  });
  expect(await store.claimSend('prod', 'nothing', 0, leases)).toEqual({ action: 'gone' });
});

it('leases dirty groups: a taker that dies leaves them to the next once the lease ends', async () => {
  const { store, stream, batch, id } = await setUp();
  await store.apply('prod', stream, GROUP, batch);
  expect(await store.takeDirty('prod', 10, 0, 1_000)).toEqual([id]);
  expect(await store.takeDirty('prod', 10, 500, 1_500)).toEqual([]);
  expect(await store.takeDirty('prod', 10, 1_000, 2_000)).toEqual([id]);
  await store.doneDirty('prod', [id], 2_000);
  expect(await store.isDirty('prod', id)).toBe(false);
});

it('a group waiting for a newer snapshot is due once one as new as its drop is read, and let go after a day', async () => {
  const store = new AlertStore(client, { prefix: `store-${randomBytes(4).toString('hex')}` });
  await store.recheckLater('prod', 'early', 1_000);
  await store.recheckLater('prod', 'late', 5_000);
  // A snapshot written before either drop: nothing due.
  expect(await store.dueRechecks('prod', 500, 10_000)).toEqual([]);
  expect(await store.dueRechecks('prod', 1_000, 10_000)).toEqual(['early']);
  expect(await store.isDirty('prod', 'early')).toBe(true);
  // Due once: taken off the waiting list.
  expect(await store.dueRechecks('prod', 2_000, 10_000)).toEqual([]);
  // The snapshot never caught up with the late one within a day: forgotten, not sent.
  expect(await store.dueRechecks('prod', 2_000, 5_000 + 86_400_001)).toEqual([]);
  expect(await store.dueRechecks('prod', 9_000, 5_000 + 86_400_001)).toEqual([]);
  expect(await store.isDirty('prod', 'late')).toBe(false);
});

it('holds muted groups until they are let go', async () => {
  const store = new AlertStore(client, { prefix: `store-${randomBytes(4).toString('hex')}` });
  await store.hold('prod', ['a', 'b']);
  await store.hold('prod', ['a']);
  expect((await store.heldGroups('prod')).sort()).toEqual(['a', 'b']);
  await store.unhold('prod', ['a']);
  expect(await store.heldGroups('prod')).toEqual(['b']);
});
