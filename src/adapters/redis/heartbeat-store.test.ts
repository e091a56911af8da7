import Redis from 'ioredis';
import { clusterLiveness, HEARTBEAT_VERSION, type Heartbeat } from '../../contracts/heartbeat';
import { startRedis, type TestRedis } from '../../devtools/redis/redis-server';
import { HeartbeatStore } from './heartbeat-store';

const beat = (fields: Partial<Heartbeat>): Heartbeat => ({
  v: HEARTBEAT_VERSION,
  kind: 'worker',
  id: 'host-a:1',
  version: '0.1.0',
  cluster: 'prod',
  node: 'host-a',
  at: '2030-01-01T00:00:00.000Z',
  intervalMs: 10_000,
  inSync: true,
  since: '2030-01-01T00:00:00.000Z',
  queueDepth: 0,
  ...fields,
});

describe('HeartbeatStore', () => {
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

  it('lists the last beat of each component, one cluster or all, and forgets one past its retention', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const store = new HeartbeatStore(client, {
      prefix: `hb-${Date.now()}`,
      retentionMs: 60_000,
      clock: () => now,
    });
    await store.publish(beat({ queueDepth: 1 }));
    await store.publish(beat({ queueDepth: 2 }));
    await store.publish(beat({ kind: 'agent', id: 'node-1', node: 'node-1' }));
    await store.publish(beat({ cluster: 'staging' }));
    expect((await store.list('prod')).map((b) => [b.kind, b.id, b.queueDepth])).toEqual([
      ['agent', 'node-1', 0],
      ['worker', 'host-a:1', 2],
    ]);
    expect((await store.list()).map((b) => b.cluster)).toEqual(['prod', 'prod', 'staging']);
    // Past the retention the index forgets it even before Redis expires the key.
    now = new Date('2030-01-01T00:01:01Z');
    expect(await store.list()).toEqual([]);
  });

  it('keys expire in Redis after the retention', async () => {
    const prefix = `hbx-${Date.now()}`;
    const store = new HeartbeatStore(client, { prefix, retentionMs: 60_000 });
    await store.publish(beat({}));
    const ttl = await client.pttl(`${prefix}:heartbeat:prod:worker:host-a:1`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe('clusterLiveness', () => {
  const now = new Date('2030-01-01T00:10:00Z');

  it('is alive while a worker beat within three intervals, and dates the snapshot by its last in-sync beat', () => {
    const live = clusterLiveness('prod', [beat({ at: '2030-01-01T00:09:35Z' })], '2029-12-31T00:00:00Z', now);
    expect(live).toEqual({
      cluster: 'prod',
      workerAlive: true,
      lastWorker: { id: 'host-a:1', at: '2030-01-01T00:09:35Z' },
      snapshotAsOf: '2030-01-01T00:09:35Z',
    });
  });

  it('is silent after three missed beats, or at once when the worker said it stopped', () => {
    expect(clusterLiveness('prod', [beat({ at: '2030-01-01T00:09:29Z' })], undefined, now).workerAlive).toBe(
      false,
    );
    const stopped = clusterLiveness(
      'prod',
      [beat({ at: '2030-01-01T00:09:59Z', stoppedAt: '2030-01-01T00:09:59Z' })],
      '2030-01-01T00:05:00Z',
      now,
    );
    expect(stopped.workerAlive).toBe(false);
    expect(stopped.snapshotAsOf).toBe('2030-01-01T00:05:00Z');
  });

  it('ignores agents and other clusters; without any worker only the snapshot dates itself', () => {
    const live = clusterLiveness(
      'prod',
      [
        beat({ kind: 'agent', at: '2030-01-01T00:09:59Z' }),
        beat({ cluster: 'staging', at: '2030-01-01T00:09:59Z' }),
      ],
      '2030-01-01T00:01:00Z',
      now,
    );
    expect(live).toEqual({ cluster: 'prod', workerAlive: false, snapshotAsOf: '2030-01-01T00:01:00Z' });
  });
});
