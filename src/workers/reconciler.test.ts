/** The reconciler over a real redis-server: the RequestStore and BullMQ queues, no worker running. */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import Redis from 'ioredis';
import pino from 'pino';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import { applyJobId, applyQueueName, RETRY_POLICY, type ApplyJob } from '../contracts/queues';
import { RequestStore } from '../adapters/redis/request-store';
import { decidedContentOf } from '../adapters/redis/request-store-api';
import { Reconciler } from './reconciler';
import { approvedRequest, fixedClock, requestRecord } from '../../test/support/worker-fixtures';

const CLUSTER = 'prod';

let redis: TestRedis;
let client: Redis;
let prefix: string;
let store: RequestStore;
let queue: Queue<ApplyJob>;
let reconciler: Reconciler;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  await client.quit();
  await redis.stop();
});

beforeEach(() => {
  prefix = `rc-${Math.random().toString(36).slice(2)}`;
  store = new RequestStore(client, { prefix });
  queue = new Queue<ApplyJob>(applyQueueName(CLUSTER), {
    connection: { host: '127.0.0.1', port: redis.port },
    prefix,
  });
  reconciler = new Reconciler({
    store,
    queue,
    cluster: CLUSTER,
    intervalMs: 60_000,
    log: pino({ level: 'silent' }),
  });
});

afterEach(async () => {
  await reconciler.stop();
  await queue.close();
});

test('enqueues an approved request that has no job, once', async () => {
  const record = await approvedRequest(store, requestRecord(CLUSTER));
  expect(await reconciler.runOnce()).toEqual({ checked: 1, enqueued: 1 });
  const job = await queue.getJob(applyJobId(record.id));
  expect(job).toBeDefined();
  expect(job?.data).toEqual({ requestId: record.id, cluster: CLUSTER, policyHash: record.policyHash });
  expect(job?.opts).toMatchObject({ attempts: RETRY_POLICY.attempts, backoff: RETRY_POLICY.backoff });
  expect(await reconciler.runOnce()).toEqual({ checked: 1, enqueued: 0 });
  expect(await queue.count()).toBe(1);
});

test('leaves alone requests of other clusters and requests not in flight', async () => {
  await approvedRequest(store, requestRecord('staging'));
  await store.create(requestRecord(CLUSTER));
  const rejected = requestRecord(CLUSTER);
  await store.create(rejected);
  await store.decide(rejected.id, {
    approve: false,
    by: 'U0APPROVER',
    now: fixedClock().toISOString(),
    content: decidedContentOf(rejected),
  });
  expect(await reconciler.runOnce()).toEqual({ checked: 0, enqueued: 0 });
  expect(await queue.count()).toBe(0);
});

test('an apply job that failed while its request is still in flight is put back', async () => {
  const record = await approvedRequest(store, requestRecord(CLUSTER));
  await reconciler.runOnce();
  // A job BullMQ gave up on without netpol's code recording anything (as after too many stalls).
  const worker = new Worker<ApplyJob>(
    applyQueueName(CLUSTER),
    () => Promise.reject(new UnrecoverableError('job stalled more than allowable limit')),
    { connection: { host: '127.0.0.1', port: redis.port }, prefix, autorun: false },
  );
  const failedOnce = new Promise<void>((resolve) => worker.once('failed', () => resolve()));
  void worker.run();
  await failedOnce;
  await worker.close();
  const job = (await queue.getJob(applyJobId(record.id))) as Job<ApplyJob>;
  expect(await job.getState()).toBe('failed');

  expect(await reconciler.runOnce()).toEqual({ checked: 1, enqueued: 1 });
  const retried = await queue.getJob(applyJobId(record.id));
  expect(await retried?.getState()).toBe('waiting');
  expect(retried?.attemptsMade).toBe(0);
});

test('start runs a pass at once', async () => {
  const record = await approvedRequest(store, requestRecord(CLUSTER));
  // The queue as the reconciler sees it, telling the test when a job is added. The interval is an
  // hour: only the pass start() runs at once can add this job within the deadline.
  let jobAdded: () => void = () => undefined;
  const added = new Promise<void>((resolve) => (jobAdded = resolve));
  const observedQueue: Pick<Queue<ApplyJob>, 'add' | 'getJob'> = {
    getJob: (id) => queue.getJob(id),
    add: async (...args) => {
      const job = await queue.add(...args);
      jobAdded();
      return job;
    },
  };
  reconciler = new Reconciler({
    store,
    queue: observedQueue,
    cluster: CLUSTER,
    intervalMs: 3_600_000,
    log: pino({ level: 'silent' }),
  });
  reconciler.start();
  let deadline: NodeJS.Timeout | undefined;
  await Promise.race([
    added,
    new Promise((_, reject) => {
      deadline = setTimeout(() => reject(new Error('start() enqueued no job within 10 s')), 10_000);
    }),
  ]).finally(() => clearTimeout(deadline));
  const job = await queue.getJob(applyJobId(record.id));
  expect(job).toBeDefined();
  expect(job?.data).toEqual({ requestId: record.id, cluster: CLUSTER, policyHash: record.policyHash });
});
