import Redis from 'ioredis';
import { startRedis, type TestRedis } from './redis-server';

describe('the test redis-server', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis.stop());

  it('keeps its data across a restart', async () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    await client.set('k', 'v');
    await redis.restart();
    expect(await client.get('k')).toBe('v');
    client.disconnect();
  });
});
