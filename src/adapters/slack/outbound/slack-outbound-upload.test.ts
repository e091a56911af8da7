/**
 * A post with a file (issue 10, /netpol graph's PNG) through the one outbound path: SlackOutbox → a
 * real redis-server → the worker → a real WebClient's files.uploadV2 → the Slack stand-in's external
 * upload (files.getUploadURLExternal, the upload URL, files.completeUploadExternal). The bytes that
 * arrive are the bytes sent; a 429 on any of the three calls pauses the queue like any call, and the
 * file still arrives once.
 */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { SlackOutboundJob } from '../../../contracts/queues';
import { startRedis, type TestRedis } from '../../../devtools/redis/redis-server';
import { createCapturingLogger } from '../../../devtools/slack/capturing-logger';
import { SlackWebApiStandIn } from '../../../devtools/slack/slack-web-api-stand-in';
import { TEST_BOT } from '../../../devtools/slack/slack-test-identity';
import type { SlackCall } from './slack-outbound-worker';
import { SlackOutbox } from './slack-outbox';
import { startSlackOutboundWorker, type SlackOutboundWorker } from './slack-outbound-worker';
import { createSlackWebClient } from './slack-web-client';

const CHANNEL = 'C0GRAPHOPS';
/** Not a real PNG: the outbound path carries any bytes; the bot's e2e test checks a real one. */
const BYTES = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));

let redis: TestRedis;
let standIn: SlackWebApiStandIn;
let outbox: SlackOutbox;
let worker: SlackOutboundWorker;
let calls: SlackCall[];
let testNo = 0;
const callEvents = new EventEmitter();

/** The worker's onCall reports, once there are `n` (it reports after Slack answered the last call). */
function waitForCalls(n: number, timeoutMs = 10_000): Promise<SlackCall[]> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (calls.length < n) return;
      clearTimeout(timer);
      callEvents.off('call', check);
      resolve(calls);
    };
    const timer = setTimeout(() => {
      callEvents.off('call', check);
      reject(new Error(`expected ${n} Slack calls reported, got ${JSON.stringify(calls)}`));
    }, timeoutMs);
    callEvents.on('call', check);
    check();
  });
}

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis.stop();
});

beforeEach(async () => {
  testNo += 1;
  const prefix = `netpol-upload-${testNo}-${process.pid}`;
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
  standIn = await SlackWebApiStandIn.start({ channels: [{ id: CHANNEL, name: 'graph-ops' }] });
  outbox = new SlackOutbox({ connection, prefix });
  calls = [];
  worker = startSlackOutboundWorker({
    connection,
    prefix,
    outbox,
    client: createSlackWebClient({
      token: TEST_BOT.token,
      apiUrl: standIn.apiUrl,
      logger: createCapturingLogger(),
    }),
    perChannelIntervalMs: 50,
    log: pino({ level: 'silent' }),
    onCall: (call) => {
      calls.push(call);
      callEvents.emit('call');
    },
    onPosted: () => Promise.reject(new Error('a shared file has no ts: onPosted must not run')),
  });
});

afterEach(async () => {
  await worker.close();
  await outbox.close();
  await standIn.close();
});

const job = (threadTs?: string): SlackOutboundJob => ({
  kind: 'post',
  channel: CHANNEL,
  text: 'observed flows in backend',
  ...(threadTs === undefined ? {} : { threadTs }),
  file: { contentBase64: BYTES.toString('base64'), filename: 'netpol-graph-backend.png', title: 'backend' },
});

it('shares the file in the channel with the text, the bytes as sent', async () => {
  await outbox.send(job());
  const file = await standIn.waitForFile((f) => f.shared !== undefined, 10_000);
  expect(file).toMatchObject({
    filename: 'netpol-graph-backend.png',
    title: 'backend',
    length: BYTES.length,
  });
  expect(file.bytes).toEqual(BYTES);
  const message = standIn.message(CHANNEL, file.shared!.ts)!;
  expect(message.text).toBe('observed flows in backend');
  expect(message.files).toEqual([
    expect.objectContaining({ id: file.id, mimetype: 'image/png', size: BYTES.length }),
  ]);
  expect(standIn.calls.map((c) => c.method)).toEqual([
    'files.getUploadURLExternal',
    'files.completeUploadExternal',
  ]);
  expect(standIn.callsTo('files.completeUploadExternal')[0]!.args).toMatchObject({
    channel_id: CHANNEL,
    files: [{ id: file.id, title: 'backend' }],
  });
  expect(await waitForCalls(1)).toEqual([{ method: 'files.completeUploadExternal', outcome: 'ok' }]);
});

it('shares it in a thread when the job names one', async () => {
  const parent = standIn.workspace.post(CHANNEL, { text: 'parent' });
  await outbox.send(job(parent.ts));
  const file = await standIn.waitForFile((f) => f.shared !== undefined, 10_000);
  expect(file.shared).toMatchObject({ channel: CHANNEL, threadTs: parent.ts });
  expect(standIn.threadReplies(CHANNEL, parent.ts).map((m) => m.files?.length)).toEqual([1]);
});

it('pauses on a 429 from files.getUploadURLExternal, then shares the file once', async () => {
  standIn.rateLimitNext({ method: 'files.getUploadURLExternal', retryAfterSeconds: 1 });
  await outbox.send(job());
  const file = await standIn.waitForFile((f) => f.shared !== undefined, 15_000);
  expect(file.bytes).toEqual(BYTES);
  const reserve = standIn.callsTo('files.getUploadURLExternal');
  expect(reserve.map((c) => c.status)).toEqual([429, 200]);
  // Retry-After honoured: the second try no sooner than a second after the first.
  expect(reserve[1]!.monotonicMs - reserve[0]!.monotonicMs).toBeGreaterThanOrEqual(950);
  expect(standIn.files().filter((f) => f.shared !== undefined)).toHaveLength(1);
  expect((await waitForCalls(2)).map((c) => c.outcome)).toEqual(['rate_limited', 'ok']);
});

it('drops a file Slack refuses to share (not_in_channel) without retrying it', async () => {
  standIn.addChannel({ id: 'C0NOTJOINED', name: 'not-joined', botIsMember: false });
  await outbox.send({ ...job(), channel: 'C0NOTJOINED' });
  await outbox.send(job());
  // The next job goes through: the refused one held nothing up.
  await standIn.waitForFile((f) => f.shared?.channel === CHANNEL, 10_000);
  const completes = standIn.callsTo('files.completeUploadExternal');
  expect(completes.map((c) => c.response.error ?? 'ok')).toEqual(['not_in_channel', 'ok']);
  expect((await waitForCalls(2)).map((c) => c.outcome)).toEqual(['refused', 'ok']);
});
