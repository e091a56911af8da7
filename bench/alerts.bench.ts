/**
 * `npm run bench:alerts` (issue 10): drop events per second through the alert worker (stream ->
 * consumer group -> aggregation -> the atomic count-and-ack in Redis), against a baseline measured
 * in the same run on the same Redis: the same entries read with XREADGROUP and acknowledged with a
 * plain XACK, no aggregation. Both run in this process on one real redis-server; CPU is this
 * process's (user + system) while each runs. Medians of RUNS runs; no Slack (the messages are only
 * queued: a handful per run, one per flow).
 *
 *   npm run bench:alerts            # EVENTS=200000 RUNS=3 FLOWS=20; STATS=1 adds Redis's commandstats
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import {
  DROP_EVENT_VERSION,
  dropEventFields,
  dropStreamKey,
  type DropEvent,
} from '../src/contracts/drop-events';
import { startRedis, type TestRedis } from '../src/devtools/redis/redis-server';
import { startAlertWorker } from '../src/workers/alerts/alert-worker';
import { median } from './stats';

const EVENTS = Number(process.env.EVENTS ?? 200_000);
const RUNS = Number(process.env.RUNS ?? 3);
const FLOWS = Number(process.env.FLOWS ?? 20);
const BATCH = 1000;

function event(i: number, at: string): DropEvent {
  const flow = i % FLOWS;
  return {
    v: DROP_EVENT_VERSION,
    cluster: 'prod',
    node: `node-${i % 3}`,
    at,
    pod: { namespace: 'backend', name: `api-${flow}`, labels: { app: `api-${flow}` } },
    peer: { namespace: 'frontend', name: 'nginx-1', labels: { app: 'nginx' } },
    direction: 'ingress',
    source: '10.244.1.10',
    destination: `10.244.2.${flow}`,
    sourcePort: 30000 + (i % 30000),
    destinationPort: 8080,
    protocol: 6,
    peerAddress: '10.244.1.10',
    reason: 'NO_RULE_INGRESS',
    suppressed: 0,
  };
}

async function fill(client: Redis, prefix: string): Promise<string> {
  const stream = dropStreamKey(prefix, 'prod');
  const at = new Date().toISOString();
  for (let start = 0; start < EVENTS; start += 5000) {
    const pipeline = client.pipeline();
    for (let i = start; i < Math.min(EVENTS, start + 5000); i++)
      pipeline.xadd(stream, '*', ...dropEventFields(event(i, at)));
    await pipeline.exec();
  }
  return stream;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** XREADGROUP + XACK of every entry, nothing else: what reading the stream costs at all. */
async function baseline(redis: TestRedis, client: Redis): Promise<{ seconds: number; cpu: number }> {
  const prefix = `bench-${randomBytes(3).toString('hex')}`;
  const stream = await fill(client, prefix);
  await client.xgroup('CREATE', stream, 'g', '0');
  const reader = new Redis(redis.url);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let read = 0;
  while (read < EVENTS) {
    const reply = (await reader.xreadgroup('GROUP', 'g', 'c', 'COUNT', BATCH, 'STREAMS', stream, '>')) as
      [string, [string, string[]][]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    // Parsed as the worker parses them, so the baseline is reading, not skipping, the events.
    for (const [, fields] of entries) JSON.parse(fields[1]!);
    if (entries.length > 0) await reader.xack(stream, 'g', ...entries.map(([id]) => id));
    read += entries.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const result = { seconds, cpu: cpuMs(cpu) };
  reader.disconnect();
  await client.del(stream);
  return result;
}

async function pipeline(redis: TestRedis, client: Redis): Promise<{ seconds: number; cpu: number }> {
  const prefix = `bench-${randomBytes(3).toString('hex')}`;
  const stream = await fill(client, prefix);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const worker = await startAlertWorker(
    {
      cluster: 'prod',
      redisUrl: redis.url,
      prefix,
      alerts: { defaultChannel: 'C0BENCH01', channels: {}, windowMs: 300_000 },
    },
    {
      log: pino({ level: 'silent' }),
      timing: { batchSize: BATCH, blockMs: 20, flushEveryMs: 200, snapshotWaitMs: 0 },
    },
  );
  while (worker.stats().counted < EVENTS) await new Promise<void>((resolve) => setTimeout(resolve, 5));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const result = { seconds, cpu: cpuMs(cpu) };
  if (process.env.STATS === '1') process.stderr.write(`${await client.info('commandstats')}\n`);
  await worker.close();
  await client.del(stream);
  return result;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const client = new Redis(redis.url);
  try {
    const base: { seconds: number; cpu: number }[] = [];
    const full: { seconds: number; cpu: number }[] = [];
    for (let run = 0; run < RUNS; run++) {
      base.push(await baseline(redis, client));
      full.push(await pipeline(redis, client));
    }
    const rate = (r: { seconds: number }) => EVENTS / r.seconds;
    const baseRate = median(base.map(rate));
    const fullRate = median(full.map(rate));
    const cpuPerEvent = (rs: { cpu: number }[]) => (median(rs.map((r) => r.cpu)) * 1000) / EVENTS;
    process.stdout.write(
      [
        `alert pipeline: ${EVENTS} drop events, ${FLOWS} flows, 3 nodes, batches of ${BATCH}; median of ${RUNS} runs`,
        `  baseline  XREADGROUP + parse + XACK      ${Math.round(baseRate).toLocaleString('en-US')} events/s, ${cpuPerEvent(base).toFixed(1)} µs CPU/event (this process)`,
        `  alerts    consume + aggregate + count    ${Math.round(fullRate).toLocaleString('en-US')} events/s, ${cpuPerEvent(full).toFixed(1)} µs CPU/event (this process)`,
        `  ratio     alerts / baseline              ${(fullRate / baseRate).toFixed(2)}x`,
        '',
      ].join('\n'),
    );
  } finally {
    client.disconnect();
    await redis.stop();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${String(error)}\n`);
    process.exit(1);
  },
);
