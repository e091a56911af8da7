import Redis from 'ioredis';
import { startRedis, type TestRedis } from '../../devtools/redis/redis-server';
import { emptyClusterState } from '../../core/state/cluster-state';
import { ClusterCache } from './cluster-cache';

describe('ClusterCache', () => {
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

  const snapshot = (updatedAt: string) => ({ cluster: 'prod', state: emptyClusterState(), updatedAt });

  it('reads what a worker wrote, from another connection, and sees every newer write', async () => {
    const prefix = `cc-${Math.random().toString(36).slice(2)}`;
    const writer = new ClusterCache(client, prefix);
    const readerClient = new Redis(redis.url, { maxRetriesPerRequest: null });
    const reader = new ClusterCache(readerClient, prefix);
    expect(await reader.read('prod')).toBeUndefined();
    await writer.write(snapshot('2026-11-22T10:00:00.000Z'));
    expect((await reader.read('prod'))?.updatedAt).toBe('2026-11-22T10:00:00.000Z');
    await writer.write(snapshot('2026-11-22T10:00:01.000Z'));
    expect((await reader.read('prod'))?.updatedAt).toBe('2026-11-22T10:00:01.000Z');
    expect(await reader.read('staging')).toBeUndefined();
    readerClient.disconnect();
  });

  it('parses a snapshot once per version', async () => {
    const prefix = `cc-${Math.random().toString(36).slice(2)}`;
    const cache = new ClusterCache(client, prefix);
    await cache.write(snapshot('2026-11-22T10:00:00.000Z'));
    const first = await cache.read('prod');
    expect(await cache.read('prod')).toBe(first);
    await cache.write(snapshot('2026-11-22T10:00:02.000Z'));
    expect(await cache.read('prod')).not.toBe(first);
  });
});
