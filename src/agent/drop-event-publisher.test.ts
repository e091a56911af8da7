/**
 * The publisher's bounds, over a real redis-server: events reach the stream capped by MAXLEN ~,
 * and while Redis does not answer the buffer holds at most `capacity` events and counts the rest.
 */
import Redis from 'ioredis';
import pino from 'pino';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import { DROP_EVENT_VERSION, parseDropEventFields, type DropEvent } from '../contracts/drop-events';
import { DropEventPublisher } from './drop-event-publisher';

let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  await client.quit();
  await redis.stop();
});

function event(port: number): DropEvent {
  return {
    v: DROP_EVENT_VERSION,
    cluster: 'prod',
    node: 'node-1',
    at: '2026-01-01T00:00:00.000Z',
    pod: { namespace: 'backend', name: 'nginx', labels: { app: 'nginx' } },
    peer: null,
    direction: 'ingress',
    source: '10.0.0.2',
    destination: '10.0.0.3',
    sourcePort: 40_000,
    destinationPort: port,
    protocol: 6,
    peerAddress: '10.0.0.2',
    reason: 'NO_RULE_INGRESS',
    suppressed: 0,
  };
}

test('events reach the stream, which stays near its MAXLEN', async () => {
  const key = `drops-${Math.random().toString(36).slice(2)}`;
  const publisher = new DropEventPublisher({
    redis: client,
    streamKey: key,
    maxLen: 10,
    log: pino({ level: 'silent' }),
    batchSize: 7,
  });
  for (let port = 1; port <= 500; port++) publisher.publish(event(port));
  await publisher.close();
  expect(publisher.stats()).toEqual({ published: 500, discarded: 0, failed: 0, buffered: 0 });
  const entries = await client.xrange(key, '-', '+');
  expect(entries.length).toBeLessThan(500);
  expect(parseDropEventFields(entries[entries.length - 1]![1])).toEqual(event(500));
});

test('while Redis does not answer, memory is bounded: the buffer keeps `capacity` events and counts the rest', () => {
  const stalled = { pipeline: () => ({ xadd: () => undefined, exec: () => new Promise(() => undefined) }) };
  const publisher = new DropEventPublisher({
    redis: stalled as never,
    streamKey: 'unused',
    maxLen: 10,
    log: pino({ level: 'silent' }),
    capacity: 100,
    batchSize: 10,
  });
  for (let port = 1; port <= 10_000; port++) publisher.publish(event(port));
  // At most one batch (10) in flight, 100 waiting, the rest discarded and counted.
  const stats = publisher.stats();
  expect(stats).toMatchObject({ published: 0, failed: 0, buffered: 100 });
  expect(stats.discarded).toBeGreaterThanOrEqual(10_000 - 100 - 10);
});
