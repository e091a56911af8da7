/**
 * The outbound path end to end: SlackOutbox → a real redis-server → the worker → a real WebClient →
 * the Slack Web API stand-in. Each test has its own BullMQ prefix and stand-in; timings are read from
 * the stand-in's recorded arrival times, and every wait is for an observable event with a deadline.
 */
import { EventEmitter } from 'node:events';
import { JobType, Queue } from 'bullmq';
import pino from 'pino';
import { SLACK_OUTBOUND_QUEUE, SlackOutboundJob } from '../../../contracts/queues';
import { startRedis, TestRedis } from '../../../devtools/redis/redis-server';
import { createCapturingLogger } from '../../../devtools/slack/capturing-logger';
import { SlackWebApiStandIn, RecordedCall } from '../../../devtools/slack/slack-web-api-stand-in';
import { TEST_BOT } from '../../../devtools/slack/slack-test-identity';
import { SlackDelivered } from './deliver';
import { SlackOutbox } from './slack-outbox';
import {
  SlackOutboundWorker,
  SlackOutboundWorkerOptions,
  startSlackOutboundWorker,
} from './slack-outbound-worker';
import { createSlackWebClient } from './slack-web-client';

const A = 'C0NETPOLOPS';
const B = 'C0OTHEROPS';
const ALICE = 'U0ALICE001';
const INTERVAL = 50;

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const post = (channel: string, text: string): SlackOutboundJob => ({ kind: 'post', channel, text });

let redis: TestRedis;
let testNo = 0;

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  await redis.stop();
});

interface Posted {
  job: SlackOutboundJob;
  result: SlackDelivered;
}

let standIn: SlackWebApiStandIn;
let prefix: string;
let outbox: SlackOutbox;
let inspect: Queue;
let workers: SlackOutboundWorker[];
let logs: Array<Record<string, unknown>>;
let posted: Posted[];
const postedEvents = new EventEmitter();

const connection = () => ({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });

beforeEach(async () => {
  testNo += 1;
  prefix = `netpol-test-${testNo}-${process.pid}`;
  standIn = await SlackWebApiStandIn.start({
    users: [{ id: ALICE, name: 'alice' }],
    channels: [
      { id: A, name: 'netpol-ops' },
      { id: B, name: 'other-ops' },
    ],
  });
  outbox = new SlackOutbox({ connection: connection(), prefix });
  inspect = new Queue(SLACK_OUTBOUND_QUEUE, { connection: connection(), prefix });
  workers = [];
  logs = [];
  posted = [];
});

afterEach(async () => {
  for (const w of workers) await w.close();
  await outbox.close();
  await inspect.close();
  await standIn.close();
});

function startWorker(
  hook?: (job: SlackOutboundJob, result: SlackDelivered) => Promise<void>,
  currentCard?: SlackOutboundWorkerOptions['currentCard'],
): SlackOutboundWorker {
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const worker = startSlackOutboundWorker({
    connection: connection(),
    prefix,
    outbox,
    client: createSlackWebClient({
      token: TEST_BOT.token,
      apiUrl: standIn.apiUrl,
      logger: createCapturingLogger(),
    }),
    perChannelIntervalMs: INTERVAL,
    log,
    ...(currentCard === undefined ? {} : { currentCard }),
    onPosted: async (job, result) => {
      await hook?.(job, result);
      posted.push({ job, result });
      postedEvents.emit('posted');
    },
  });
  workers.push(worker);
  return worker;
}

function waitForPosted(count: number, timeoutMs = 5000): Promise<Posted[]> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (posted.length < count) return;
      cleanup();
      resolve(posted);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${count} onPosted calls; got ${posted.length}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      postedEvents.off('posted', check);
    };
    postedEvents.on('posted', check);
    check();
  });
}

/** Polls Redis until the job counts match: BullMQ marks a job completed just after Slack saw the call. */
async function waitForJobCounts(expected: Partial<Record<JobType, number>>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let counts: Record<string, number> = {};
  while (Date.now() < deadline) {
    counts = await inspect.getJobCounts(...(Object.keys(expected) as JobType[]));
    if (Object.entries(expected).every(([k, v]) => counts[k] === v)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(counts).toEqual(expected);
}

const postsTo = (channel: string): RecordedCall[] =>
  standIn.callsTo('chat.postMessage').filter((c) => c.args.channel === channel);

const delivered = (text: string, timeoutMs = 5000): Promise<RecordedCall> =>
  standIn.waitForCall((c) => c.args.text === text && c.status === 200 && c.response.ok, timeoutMs);

it('delivers a burst to one channel in order, paced, without holding up another channel', async () => {
  const texts = Array.from({ length: 20 }, (_, i) => `a${i + 1}`);
  // Sent at once: the adds are pipelined on one connection, in this order.
  await Promise.all([
    ...texts.map((text) => outbox.send(post(A, text))),
    outbox.send(post(B, 'b1'), { jobId: 'b1' }),
  ]);
  startWorker();

  const bCall = await delivered('b1');
  await delivered('a20');

  await waitForJobCounts({ completed: 21, failed: 0, delayed: 0, wait: 0 });
  const calls = postsTo(A);
  expect(calls.map((c) => [c.args.text, c.status])).toEqual(texts.map((t) => [t, 200]));
  const gaps = calls.slice(1).map((c, i) => c.monotonicMs - (calls[i]?.monotonicMs ?? NaN));
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(INTERVAL);
  // b1 was never parked for pacing, and every A message that was parked came after it: it waited
  // only for the worker to get through the jobs queued ahead of it, not for channel A's pacing.
  // (Its wall-clock wait is one Redis round trip per A job parked ahead of it; an A job may also go
  // first unparked when the box is so slow that an interval has passed by its turn.)
  expect(logs.filter((l) => l.jobId === 'b1').map((l) => l.msg)).toEqual(['slack message delivered']);
  const parked = new Set(
    logs.filter((l) => l.msg === 'slack message parked for channel pacing').map((l) => l.jobId),
  );
  expect(parked.size).toBeGreaterThan(0);
  const idOf = new Map((await inspect.getJobs(['completed'])).map((j) => [j.data.text, j.id]));
  for (const call of calls.filter((c) => parked.has(idOf.get(String(c.args.text))))) {
    expect(call.seq).toBeGreaterThan(bCall.seq);
  }
  expect(standIn.messages(A).map((m) => m.text)).toEqual(texts);
}, 20_000);

it('pauses the whole queue for Retry-After on a 429, then delivers everything in order', async () => {
  standIn.rateLimitNext({ method: 'chat.postMessage', times: 1, retryAfterSeconds: 1 });
  startWorker();
  for (const text of ['m1', 'm2', 'm3']) await outbox.send(post(A, text));
  await outbox.send(post(B, 'n1'));

  await Promise.all([delivered('m3'), delivered('n1')]);

  const [limited, ...rest] = standIn.callsTo('chat.postMessage');
  expect(limited).toMatchObject({ status: 429, args: { text: 'm1' } });
  for (const call of rest) {
    expect(call.monotonicMs - (limited?.monotonicMs ?? NaN)).toBeGreaterThanOrEqual(1000);
  }
  expect(postsTo(A).map((c) => [c.args.text, c.status])).toEqual([
    ['m1', 429],
    ['m1', 200],
    ['m2', 200],
    ['m3', 200],
  ]);
  expect(standIn.messages(A).map((m) => m.text)).toEqual(['m1', 'm2', 'm3']);
  expect(logs.filter((l) => l.msg === 'slack rate limited: pausing the outbound queue')).toEqual([
    expect.objectContaining({ retryAfterMs: 1000, channel: A, kind: 'post' }),
  ]);
  await waitForJobCounts({ completed: 4, failed: 0 });
}, 20_000);

it('reports the ts to onPosted, and edits the message with chat.update', async () => {
  startWorker();
  await outbox.send({
    kind: 'post',
    channel: A,
    text: 'pending approval',
    blocks: [section('*pending*')],
    recordApprovalFor: 'req-42',
  });
  const [first] = await waitForPosted(1);
  const ts = first?.result.ts ?? '';
  expect(first?.job).toMatchObject({ recordApprovalFor: 'req-42' });
  expect(first?.result).toEqual({ channel: A, ts: standIn.messages(A)[0]?.ts });
  // WebClient form-encodes the flag.
  expect(standIn.callsTo('chat.postMessage')[0]?.args).toMatchObject({ unfurl_links: 'false' });

  await outbox.send({ kind: 'update', channel: A, ts, text: 'approved', blocks: [section('*approved*')] });
  const edited = await standIn.waitForMessage(A, (m) => m.ts === ts && m.text === 'approved');
  expect(edited.blocks).toEqual([section('*approved*')]);
  expect(edited.edited).toBeDefined();
  expect((await waitForPosted(2))[1]?.result).toEqual({ channel: A, ts });
});

it('sends a card update as the card reads at delivery, and as enqueued when there is no current card', async () => {
  let cardTs = '';
  const renders: string[] = [];
  startWorker(undefined, async (requestId) => {
    renders.push(requestId);
    return requestId === 'req-7'
      ? { channel: A, ts: cardTs, text: 'applied', blocks: [section('*applied*')] }
      : undefined;
  });
  await outbox.send({ kind: 'post', channel: A, text: 'pending', recordApprovalFor: 'req-7' });
  cardTs = (await waitForPosted(1))[0]?.result.ts ?? '';

  // Enqueued with an older state: what lands is the current one.
  const stale = { kind: 'update' as const, channel: A, ts: cardTs, text: 'approved', blocks: [section('x')] };
  await outbox.send({ ...stale, cardFor: 'req-7' });
  await standIn.waitForMessage(A, (m) => m.ts === cardTs && m.text === 'applied');
  await outbox.send({ ...stale, text: 'fallback', cardFor: 'req-gone' });
  const edited = await standIn.waitForMessage(A, (m) => m.ts === cardTs && m.text === 'fallback');
  expect(edited.blocks).toEqual([section('x')]);
  expect(renders).toEqual(['req-7', 'req-gone']);
});

it('posts thread replies and ephemeral messages, without onPosted for the ephemeral one', async () => {
  startWorker();
  await outbox.send(post(A, 'parent'));
  const [parent] = await waitForPosted(1);
  const threadTs = parent?.result.ts ?? '';
  await outbox.send({ kind: 'post', channel: A, text: 'applied', threadTs });
  await outbox.send({ kind: 'ephemeral', channel: A, user: ALICE, text: 'only you' });

  await standIn.waitForEphemeral((e) => e.text === 'only you');
  expect(standIn.threadReplies(A, threadTs).map((m) => m.text)).toEqual(['applied']);
  expect(posted.map((p) => p.job.text)).toEqual(['parent', 'applied']);
});

it('drops a message Slack refuses without retrying it, and goes on with the next', async () => {
  standIn.failNext({ method: 'chat.postMessage', error: 'channel_not_found' });
  startWorker();
  await outbox.send(post(A, 'p1'), { jobId: 'p1' });
  await outbox.send(post(A, 'p2'), { jobId: 'p2' });

  await delivered('p2');
  expect(postsTo(A).map((c) => [c.args.text, c.response.ok ? 'ok' : c.response.error])).toEqual([
    ['p1', 'channel_not_found'],
    ['p2', 'ok'],
  ]);
  const failed = await inspect.getJob('p1');
  expect(await failed?.getState()).toBe('failed');
  expect(failed?.attemptsMade).toBe(1);
  expect(failed?.failedReason).toContain('channel_not_found');
  expect(logs.filter((l) => l.msg === 'slack refused the message: dropped')).toEqual([
    expect.objectContaining({
      level: 50,
      jobId: 'p1',
      channel: A,
      kind: 'post',
      slackError: 'channel_not_found',
      job: expect.objectContaining({ text: 'p1' }),
    }),
  ]);
  expect(JSON.stringify(logs)).not.toContain(TEST_BOT.token);
});

it('retries a message after a transient HTTP 500 with backoff', async () => {
  standIn.failNext({ method: 'chat.postMessage', error: 'internal_error', httpStatus: 500 });
  startWorker();
  await outbox.send(post(A, 't1'), { jobId: 't1' });

  const ok = await delivered('t1');
  const [failedCall] = postsTo(A);
  expect(failedCall?.status).toBe(500);
  // RETRY_POLICY's first backoff is 500 ms.
  expect(ok.monotonicMs - (failedCall?.monotonicMs ?? NaN)).toBeGreaterThanOrEqual(490);
  expect(standIn.messages(A).map((m) => m.text)).toEqual(['t1']);
  expect(logs.filter((l) => l.msg === 'slack unavailable: will retry')).toEqual([
    expect.objectContaining({ jobId: 't1', statusCode: 500, attemptsMade: 1 }),
  ]);
}, 10_000);

it('retries a failing onPosted without posting again', async () => {
  let failures = 1;
  startWorker(async () => {
    if (failures-- > 0) throw new Error('redis down while recording the approval ts');
  });
  await outbox.send(post(A, 'approval'), { jobId: 'approval-req-9' });

  const [recorded] = await waitForPosted(1);
  expect(standIn.callsTo('chat.postMessage')).toHaveLength(1);
  expect(recorded?.result.ts).toBe(standIn.messages(A)[0]?.ts);
  expect(logs.filter((l) => l.msg === 'onPosted failed: will retry the hook, not the post')).toHaveLength(1);
  await waitForJobCounts({ completed: 1, failed: 0 });
}, 10_000);

it('ignores a second send with the same jobId', async () => {
  await outbox.send(post(A, 'once'), { jobId: 'applied-req-7' });
  await outbox.send(post(A, 'once'), { jobId: 'applied-req-7' });
  startWorker();
  await waitForPosted(1);
  await outbox.send(post(A, 'once'), { jobId: 'applied-req-7' });
  await outbox.send(post(A, 'after'));
  await delivered('after');
  expect(standIn.messages(A).map((m) => m.text)).toEqual(['once', 'after']);
});

it('loses nothing when the worker is closed and restarted with jobs still queued', async () => {
  const texts = Array.from({ length: 10 }, (_, i) => `r${i + 1}`);
  for (const text of texts) await outbox.send(post(A, text));
  const first = startWorker();
  await delivered('r3');
  await first.close();
  const { completed = 0, ...pending } = await inspect.getJobCounts('completed', 'delayed', 'wait', 'active');
  expect(completed).toBeLessThan(10);
  expect(completed + Object.values(pending).reduce((a, b) => a + b, 0)).toBe(10);

  startWorker();
  await delivered('r10');
  await waitForPosted(10);
  expect(standIn.messages(A).map((m) => m.text)).toEqual(texts);
  expect(posted.map((p) => p.job.text)).toEqual(texts);
  await waitForJobCounts({ completed: 10, failed: 0, delayed: 0, wait: 0 });
}, 20_000);
