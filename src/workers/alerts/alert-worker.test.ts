/**
 * The alert worker over a real redis-server and the Slack Web API stand-in, with the real outbound
 * worker between them: two alert workers share the consumer group, one is killed holding a batch
 * it read but never counted; the other claims it. Every drop is counted once, and the flow has one
 * message, edited in place, whose count is every drop produced.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { AlertStore } from '../../adapters/redis/alert-store';
import { ClusterCache } from '../../adapters/redis/cluster-cache';
import { clusterState, pod, policy } from '../../../test/support/cluster-builders';
import { MuteStore, parseMuteTarget } from '../../adapters/redis/mute-store';
import {
  createSlackWebClient,
  SlackOutbox,
  startSlackOutboundWorker,
  type SlackOutboundWorker,
} from '../../adapters/slack/outbound';
import {
  DROP_EVENT_VERSION,
  dropEventBatchFields,
  dropEventFields,
  dropStreamKey,
  type DropEvent,
} from '../../contracts/drop-events';
import { startRedis, type TestRedis } from '../../devtools/redis/redis-server';
import { TEST_BOT } from '../../devtools/slack/slack-test-identity';
import { SlackWebApiStandIn } from '../../devtools/slack/slack-web-api-stand-in';
import { ALERT_CONSUMER_GROUP, startAlertWorker, type AlertWorker } from './alert-worker';
import { windowOf } from './drop-groups';

jest.setTimeout(60_000);

const CHANNEL = 'C0ALERTS1';
const BACKEND_CHANNEL = 'C0BACKEND1';
const WINDOW_MS = 300_000;
const log = pino({ level: process.env.NETPOL_TEST_LOG ?? 'silent' });
// No cluster snapshot in these tests: alerts go out without waiting for one.
const FAST = {
  blockMs: 50,
  batchSize: 20,
  claimIdleMs: 400,
  claimEveryMs: 100,
  flushEveryMs: 30,
  snapshotWaitMs: 0,
  // A worker killed between claiming a send and queuing it holds the group this long.
  claimLeaseMs: 300,
};

let redis: TestRedis;
let slack: SlackWebApiStandIn;
let client: Redis;
const outbound: SlackOutboundWorker[] = [];
const outboxes: SlackOutbox[] = [];
const workers: AlertWorker[] = [];

/** The stream entries of the drops frontend/nginx -> backend/nginx tcp/80, from three nodes. */
function drops(count: number, at: string, from = 0): DropEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    v: DROP_EVENT_VERSION,
    cluster: 'prod',
    node: `node-${'abc'[(from + i) % 3]}`,
    at,
    pod: { namespace: 'backend', name: 'nginx-backend', labels: { app: 'nginx' } },
    peer: { namespace: 'frontend', name: 'nginx-frontend', labels: { app: 'nginx' } },
    direction: 'ingress',
    source: '10.244.1.10',
    destination: '10.244.2.20',
    sourcePort: 30000 + from + i,
    destinationPort: 80,
    protocol: 6,
    peerAddress: '10.244.1.10',
    reason: 'NO_RULE_INGRESS',
    suppressed: 0,
  }));
}

async function publish(prefix: string, events: DropEvent[]): Promise<void> {
  const pipeline = client.pipeline();
  for (const event of events) pipeline.xadd(dropStreamKey(prefix, 'prod'), '*', ...dropEventFields(event));
  await pipeline.exec();
}

/** Polls `probe` until it gives a value; fails after the deadline naming what never happened. */
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const HEADLINE_TEXT = 'frontend/nginx -&gt; backend/nginx tcp/80';

function alertsIn(channel: string) {
  return slack.messages(channel).filter((m) => m.text.includes(HEADLINE_TEXT));
}

beforeAll(async () => {
  redis = await startRedis();
  slack = await SlackWebApiStandIn.start();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  for (const worker of workers) await worker.close().catch(() => undefined);
  for (const worker of outbound) await worker.close();
  for (const outbox of outboxes) await outbox.close();
  client.disconnect();
  await slack.close();
  await redis.stop();
});

/** The bot's half: the outbound worker posting to the stand-in, recording where alerts landed. */
function startOutbound(prefix: string, perChannelIntervalMs = 10): void {
  const store = new AlertStore(client, { prefix });
  const outbox = new SlackOutbox({ connection: client, prefix });
  outboxes.push(outbox);
  outbound.push(
    startSlackOutboundWorker({
      connection: client,
      prefix,
      outbox,
      client: createSlackWebClient({ token: TEST_BOT.token, apiUrl: slack.apiUrl }),
      perChannelIntervalMs,
      log,
      onPosted: async (job, delivered) => {
        if (job.kind !== 'ephemeral' && job.alert !== undefined) await store.delivered(job.alert, delivered);
      },
    }),
  );
}

it('two workers share the group; one killed mid-batch loses nothing and nothing is counted twice', async () => {
  const prefix = `alerts-${randomBytes(4).toString('hex')}`;
  startOutbound(prefix);
  const settings = {
    cluster: 'prod',
    redisUrl: redis.url,
    prefix,
    alerts: { defaultChannel: CHANNEL, channels: { backend: BACKEND_CHANNEL }, windowMs: WINDOW_MS },
  };
  // Every event in one window, whenever the test runs.
  const at = new Date(windowOf(Date.now(), WINDOW_MS).start + 1000).toISOString();

  // Worker A counts its first batch, then hangs on its second (read, never counted) and is killed.
  let batches = 0;
  let held: string[] = [];
  const hang = new Promise<void>(() => undefined);
  const a = await startAlertWorker(settings, {
    log,
    consumer: 'a',
    timing: FAST,
    beforeCount: async (ids) => {
      if (++batches === 2) {
        held = [...ids];
        await hang;
      }
    },
  });
  workers.push(a);
  await publish(prefix, drops(40, at));
  await until(async () => (held.length > 0 ? true : undefined), 'worker A holding its second batch');
  const pending = (await client.xpending(dropStreamKey(prefix, 'prod'), ALERT_CONSUMER_GROUP)) as [number];
  expect(pending[0]).toBeGreaterThanOrEqual(held.length);
  a.kill();

  const b = await startAlertWorker(settings, { log, consumer: 'b', timing: FAST });
  const c = await startAlertWorker(settings, { log, consumer: 'c', timing: FAST });
  workers.push(b, c);
  await publish(prefix, drops(160, at, 40));

  // One message in the backend's channel, edited until it shows all 200 drops.
  const final = await until(
    async () => alertsIn(BACKEND_CHANNEL).find((m) => m.text.includes('200 drops')),
    'the alert showing 200 drops',
  );
  // No cluster snapshot here: the names come from the events, no policy is named.
  expect(final.text).toBe('frontend/nginx -&gt; backend/nginx tcp/80: 200 drops in the last 5 min, 3 nodes');
  expect(alertsIn(BACKEND_CHANNEL)).toHaveLength(1);
  expect(alertsIn(CHANNEL)).toHaveLength(0);
  expect(final.revisions.length).toBeGreaterThan(1);
  // A's held batch was claimed by B or C; nothing is left pending.
  expect(b.stats().reclaimed + c.stats().reclaimed).toBeGreaterThanOrEqual(held.length);
  const after = (await client.xpending(dropStreamKey(prefix, 'prod'), ALERT_CONSUMER_GROUP)) as [number];
  expect(after[0]).toBe(0);
  expect(a.stats().counted + b.stats().counted + c.stats().counted).toBe(200);
  // The flow has one group; its count is the number of drops produced.
  const store = new AlertStore(client, { prefix });
  const [id] = alertsIn(BACKEND_CHANNEL).map(
    (m) => JSON.stringify(m.blocks).match(/prod\/([0-9a-f-]+)/)?.[1],
  );
  expect((await store.get('prod', id!))?.count).toBe(200);
  expect((await store.get('prod', id!))?.nodes).toEqual(['node-a', 'node-b', 'node-c']);

  // Muted: still counted, but the message is left alone.
  await new MuteStore(client, prefix).mute(
    'prod',
    parseMuteTarget('frontend/nginx -> backend'),
    60_000,
    Date.now(),
  );
  await publish(prefix, drops(5, at, 200));
  await until(
    async () => ((await store.get('prod', id!))?.count === 205 ? true : undefined),
    'the muted drops counted',
  );
  // Taken off the dirty set by a flush that saw the mute (and sent nothing).
  await until(async () => ((await store.isDirty('prod', id!)) ? undefined : true), 'the muted group flushed');
  expect(alertsIn(BACKEND_CHANNEL)[0]!.text).toContain('200 drops');

  // Unmuted: the message catches up with the drops counted while muted, without another drop.
  await new MuteStore(client, prefix).unmute(
    'prod',
    parseMuteTarget('frontend/nginx -> backend'),
    Date.now(),
  );
  await until(
    async () => alertsIn(BACKEND_CHANNEL).find((m) => m.text.includes('205 drops')),
    'the alert showing 205 drops after the unmute',
  );
  expect(alertsIn(BACKEND_CHANNEL)).toHaveLength(1);
});

it("an alert whose drop raced the workers' snapshot names the blocking policy once the snapshot catches up, without another drop", async () => {
  const prefix = `alerts-${randomBytes(4).toString('hex')}`;
  startOutbound(prefix);
  const pods = [
    pod('frontend/nginx-frontend', { labels: { app: 'nginx' }, ip: '10.244.1.10' }),
    pod('backend/nginx-backend', { labels: { app: 'nginx' }, ip: '10.244.2.20' }),
  ];
  const snapshots = new ClusterCache(client, prefix);
  // The workers' snapshot from before the default-deny the agents already enforce.
  await snapshots.write({
    cluster: 'prod',
    state: clusterState({ pods }),
    updatedAt: new Date(Date.now() - 60_000).toISOString(),
  });
  const worker = await startAlertWorker(
    {
      cluster: 'prod',
      redisUrl: redis.url,
      prefix,
      alerts: { defaultChannel: CHANNEL, channels: {}, windowMs: WINDOW_MS },
    },
    { log, consumer: 'raced', timing: FAST },
  );
  workers.push(worker);
  await publish(prefix, drops(10, new Date().toISOString()));
  const first = await until(
    async () => alertsIn(CHANNEL).find((m) => m.text.includes(': 10 drops')),
    'the first alert',
  );
  expect(first.text).not.toContain('blocked by');
  expect(JSON.stringify(first.blocks)).toContain('is older than the drop');
  // Not known to be allowed: Request allow stays.
  expect(JSON.stringify(first.blocks)).toContain('Request allow');

  // The workers' informer catches up: the snapshot now holds the policy.
  await snapshots.write({
    cluster: 'prod',
    state: clusterState({
      pods,
      policies: [policy('backend/default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] })],
    }),
    updatedAt: new Date().toISOString(),
  });
  const named = await until(
    async () => alertsIn(CHANNEL).find((m) => m.text.includes('blocked by default-deny-ingress')),
    'the alert naming the policy',
  );
  expect(named.text).toBe(
    'frontend/nginx -&gt; backend/nginx tcp/80: 10 drops in the last 5 min, 3 nodes, blocked by default-deny-ingress',
  );
  expect(alertsIn(CHANNEL)).toHaveLength(1);
  expect(worker.stats().drops).toBe(10);
});

it('a closed window gets one digest per channel; a 429 delays an edit but loses nothing', async () => {
  const prefix = `alerts-${randomBytes(4).toString('hex')}`;
  startOutbound(prefix);
  // A window that ended a while ago: its digest is due as soon as its drops are counted.
  const past = windowOf(Date.now() - 2 * WINDOW_MS, WINDOW_MS);
  const at = new Date(past.start + 1000).toISOString();
  const worker = await startAlertWorker(
    {
      cluster: 'prod',
      redisUrl: redis.url,
      prefix,
      alerts: { defaultChannel: 'C0DIGEST01', channels: {}, windowMs: WINDOW_MS },
    },
    { log, consumer: 'd', timing: { ...FAST, digestGraceMs: 0, snapshotWaitMs: 0 } },
  );
  workers.push(worker);
  slack.rateLimitNext({ method: 'chat.update', times: 1, retryAfterSeconds: 1 });
  await publish(prefix, drops(10, at));
  const digest = await until(
    async () => slack.messages('C0DIGEST01').find((m) => m.text.startsWith('Drops on prod')),
    'the digest',
  );
  expect(digest.text).toMatch(/^Drops on prod from .* UTC to .* UTC: \d+ drops? in 1 flow$/);
  await publish(prefix, drops(15, at, 10));
  const alert = await until(
    async () => slack.messages('C0DIGEST01').find((m) => m.text.includes(': 25 drops')),
    'the alert edited to 25 drops (after the 429)',
  );
  expect(alert.text).toContain(HEADLINE_TEXT);
  // The edit was refused once with a 429, and went through after Retry-After.
  await slack.waitForCall((call) => call.method === 'chat.update' && call.status === 429, 1000);
  expect(slack.messages('C0DIGEST01').filter((m) => m.text.startsWith('Drops on prod'))).toHaveLength(1);
  expect(slack.messages('C0DIGEST01').filter((m) => m.text.includes(HEADLINE_TEXT))).toHaveLength(1);
});

it('a storm from three agents: every drop counted once across a kill and restart, one call a second per channel', async () => {
  const prefix = `alerts-${randomBytes(4).toString('hex')}`;
  // Slack's pace: about one call a second per channel.
  startOutbound(prefix, 1000);
  const channels = { backend: 'C0STORMB01' };
  const settings = {
    cluster: 'prod',
    redisUrl: redis.url,
    prefix,
    alerts: { defaultChannel: 'C0STORMD01', channels, windowMs: WINDOW_MS },
  };
  const at = new Date(windowOf(Date.now(), WINDOW_MS).start + 1000).toISOString();
  const FLOWS = 6;
  const PER_AGENT = 5000;
  /** Agent `node` drops, round-robin over the flows: half in backend, half in web. */
  const storm = (node: string, from: number): DropEvent[] =>
    drops(PER_AGENT, at, from).map((event, i) => {
      const flow = (from + i) % FLOWS;
      const namespace = flow < FLOWS / 2 ? 'backend' : 'web';
      return { ...event, node, pod: { namespace, name: `api-${flow}`, labels: { app: `api-${flow}` } } };
    });

  let batches = 0;
  const first = await startAlertWorker(settings, {
    log,
    consumer: 'restarted',
    timing: FAST,
    beforeCount: async () => {
      if (++batches === 5) await new Promise<void>(() => undefined);
    },
  });
  workers.push(first);
  const other = await startAlertWorker(settings, { log, consumer: 'other', timing: FAST });
  workers.push(other);
  const agents = ['node-a', 'node-b', 'node-c'].map((node, k) => publish(prefix, storm(node, k * PER_AGENT)));
  await until(async () => (batches >= 5 ? true : undefined), 'the first worker mid-storm');
  first.kill();
  // Restarted under the same name: it takes back what it held, or the other worker does.
  const restarted = await startAlertWorker(settings, { log, consumer: 'restarted', timing: FAST });
  workers.push(restarted);
  await Promise.all(agents);

  const expected = (3 * PER_AGENT) / FLOWS;
  const shown = (channel: string) =>
    slack
      .messages(channel)
      .filter((m) => m.text.includes(' -&gt; '))
      .map((m) => Number(/: ([\d,]+) drops?/.exec(m.text)?.[1]?.replace(/,/g, '')));
  await until(
    async () =>
      [...shown('C0STORMB01'), ...shown('C0STORMD01')].filter((n) => n === expected).length === FLOWS
        ? true
        : undefined,
    `every flow's message showing ${expected} drops`,
    30_000,
  );
  // One message per flow; the counts in Slack add up to every drop produced.
  expect(shown('C0STORMB01')).toHaveLength(FLOWS / 2);
  expect(shown('C0STORMD01')).toHaveLength(FLOWS / 2);
  expect([...shown('C0STORMB01'), ...shown('C0STORMD01')].reduce((a, b) => a + b, 0)).toBe(3 * PER_AGENT);
  // Never two calls to a channel within a second (start of one to the start of the next).
  for (const channel of ['C0STORMB01', 'C0STORMD01']) {
    const starts = slack.calls
      .filter((c) => c.args.channel === channel && c.method.startsWith('chat.'))
      .map((c) => c.monotonicMs);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(1000);
  }
});

it('entries of a batching agent (many events each) and single-event entries add up in one message', async () => {
  const prefix = `alerts-${randomBytes(4).toString('hex')}`;
  startOutbound(prefix);
  const at = new Date(windowOf(Date.now(), WINDOW_MS).start + 1000).toISOString();
  const worker = await startAlertWorker(
    {
      cluster: 'prod',
      redisUrl: redis.url,
      prefix,
      alerts: { defaultChannel: CHANNEL, channels: {}, windowMs: WINDOW_MS },
    },
    { log, consumer: 'batched', timing: FAST },
  );
  workers.push(worker);
  const stream = dropStreamKey(prefix, 'prod');
  // 3 entries of 100 events (one with 5 suppressed by the kernel), 7 single-event entries, and a
  // batched entry that is not readable (acknowledged and dropped, not counted).
  const events = drops(307, at);
  events[10] = { ...events[10]!, suppressed: 5 };
  for (let i = 0; i < 300; i += 100)
    await client.xadd(stream, '*', ...dropEventBatchFields(events.slice(i, i + 100)));
  await publish(prefix, events.slice(300));
  await client.xadd(stream, '*', 'events', '[{"v":1}, 3]');
  const final = await until(
    async () => alertsIn(CHANNEL).find((m) => m.text.includes('312 drops')),
    'the alert showing 312 drops',
  );
  expect(final.text).toContain('3 nodes');
  expect(worker.stats()).toMatchObject({ counted: 10, drops: 312 });
  await until(
    async () =>
      ((await client.xpending(stream, ALERT_CONSUMER_GROUP)) as [number])[0] === 0 ? true : undefined,
    'nothing left pending',
  );
});
