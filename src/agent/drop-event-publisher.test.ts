/**
 * The publisher's bounds, over a real redis-server: events reach the stream capped by MAXLEN ~,
 * and while Redis does not answer the buffer holds at most `capacity` events and counts the rest.
 */
import Redis from 'ioredis';
import pino from 'pino';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import {
  DROP_EVENT_VERSION,
  parseDropEventEntry,
  parseDropEventFields,
  type DropEvent,
} from '../contracts/drop-events';
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
  expect(publisher.stats()).toEqual({ published: 500, discarded: 0, failed: 0, buffered: 0, entries: 500 });
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

test('batching: many events per entry, one flow of one second folded into one event that counts them all', async () => {
  const key = `drops-${Math.random().toString(36).slice(2)}`;
  const publisher = new DropEventPublisher({
    redis: client,
    streamKey: key,
    maxLen: 100_000,
    log: pino({ level: 'silent' }),
    batchSize: 1000,
    eventsPerEntry: 5,
    coalesce: true,
  });
  // 3,000 drops of 12 flows (ports), each connection its own source port, some already
  // rate-limited by the kernel (suppressed 2).
  let produced = 0;
  for (let i = 0; i < 3000; i++) {
    const e = { ...event(8000 + (i % 12)), sourcePort: 30_000 + i, suppressed: i % 10 === 0 ? 2 : 0 };
    produced += 1 + e.suppressed;
    publisher.publish(e);
    if (i % 700 === 0) await publisher.drained();
  }
  await publisher.close();
  const stats = publisher.stats();
  expect(stats).toMatchObject({ published: 3000, discarded: 0, failed: 0, buffered: 0 });
  const entries = await client.xrange(key, '-', '+');
  expect(entries).toHaveLength(stats.entries ?? -1);
  const events = entries.flatMap(([, fields]) => parseDropEventEntry(fields) ?? []);
  // Far fewer entries and events than drops, and every drop still there.
  expect(entries.length).toBeLessThan(3000 / 5);
  expect(events.length).toBeLessThan(100);
  expect(events.reduce((sum, e) => sum + 1 + e.suppressed, 0)).toBe(produced);
  expect(new Set(events.map((e) => e.destinationPort)).size).toBe(12);
  // A batched entry is not a single-event one: old readers see it as not theirs.
  expect(entries.some(([, fields]) => fields[0] === 'events' && parseDropEventFields(fields) === null)).toBe(
    true,
  );
});
