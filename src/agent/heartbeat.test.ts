/**
 * The agent's heartbeat over a real Redis: not in sync (with /readyz's reason) until its maps are,
 * then in sync since that beat; drop events not yet sent are its queue depth; a last beat on stop.
 */
import Redis from 'ioredis';
import pino from 'pino';
import { HeartbeatStore } from '../adapters/redis/heartbeat-store';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import { agentHeartbeat } from './heartbeat';

describe('the agent’s heartbeat', () => {
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

  it('says whether the maps are in sync, since when, and what is buffered', async () => {
    const prefix = `ahb-${Date.now()}`;
    let now = new Date('2030-01-01T00:00:00Z');
    let readiness: { ready: boolean; reason?: string } = { ready: false, reason: 'maps not in sync yet' };
    const heartbeat = agentHeartbeat({
      redis: client,
      prefix,
      cluster: 'prod',
      node: 'node-1',
      readiness: () => readiness,
      dropEventStats: () => ({ buffered: 7 }),
      clock: () => now,
      log: pino({ level: 'silent' }),
    });
    const store = new HeartbeatStore(client, { prefix });
    await heartbeat.beat();
    expect(await store.list('prod')).toEqual([
      expect.objectContaining({
        kind: 'agent',
        id: 'node-1',
        node: 'node-1',
        inSync: false,
        reason: 'maps not in sync yet',
        since: '2030-01-01T00:00:00.000Z',
        queueDepth: 7,
      }),
    ]);
    now = new Date('2030-01-01T00:00:10Z');
    readiness = { ready: true };
    await heartbeat.beat();
    now = new Date('2030-01-01T00:00:20Z');
    await heartbeat.beat();
    const [beat] = await store.list('prod');
    expect(beat).toMatchObject({
      inSync: true,
      since: '2030-01-01T00:00:10.000Z',
      lastSync: '2030-01-01T00:00:20.000Z',
    });
    expect(beat?.reason).toBeUndefined();
    await heartbeat.stop();
    expect((await store.list('prod'))[0]?.stoppedAt).toBe('2030-01-01T00:00:20.000Z');
  });
});
