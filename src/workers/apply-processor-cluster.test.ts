/**
 * A job the worker refuses because it is for another cluster ends on the request's card (issue 11:
 * "every failure of a request, wherever it happens, ends on its card"): the request is failed with
 * why, audited, and the card edit and thread reply are enqueued; nothing is applied. Over a real
 * Redis (the request store) with the processor called as BullMQ would.
 */
import type { Job } from 'bullmq';
import Redis from 'ioredis';
import pino from 'pino';
import { RequestStore } from '../adapters/redis/request-store';
import type { PolicyApi } from '../adapters/kube/kube-client';
import { applyJobId, type ApplyJob, type SlackOutboundJob } from '../contracts/queues';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import { approvedRequest, fixedClock, requestRecord } from '../../test/support/worker-fixtures';
import { createApplyProcessor } from './apply-processor';

describe('a job for another cluster', () => {
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

  const untouchable: PolicyApi = {
    get: async () => {
      throw new Error('the cluster must not be read');
    },
    apply: async () => {
      throw new Error('nothing may be applied');
    },
    delete: async () => {
      throw new Error('nothing may be deleted');
    },
  } as unknown as PolicyApi;

  it.each([
    ['the job names another cluster', { job: 'staging', record: 'staging' }],
    ['the request is of another cluster', { job: 'prod', record: 'staging' }],
  ])('is refused and ends on the card when %s', async (_, clusters) => {
    const store = new RequestStore(client, { prefix: `apc-${Math.random().toString(36).slice(2)}` });
    const record = await approvedRequest(store, requestRecord(clusters.record));
    const told: SlackOutboundJob[] = [];
    const processor = createApplyProcessor({
      store,
      policies: untouchable,
      notify: async (job) => {
        told.push(job);
      },
      cluster: 'prod',
      fieldManager: 'netpol',
      clock: fixedClock,
      log: pino({ level: 'silent' }),
    });
    const job = {
      id: applyJobId(record.id),
      data: { requestId: record.id, cluster: clusters.job, policyHash: record.policyHash },
      attemptsMade: 0,
      opts: { attempts: 6 },
    } as unknown as Job<ApplyJob>;
    await expect(processor(job)).rejects.toThrow(/worker of cluster prod/);
    const after = await store.get(record.id);
    expect(after?.state).toBe('failed');
    expect(after?.reason).toMatch(/cluster staging.*reached the worker of cluster prod; nothing was applied/);
    expect((await store.audit(record.id)).at(-1)).toMatchObject({ action: 'refused', actor: 'worker:prod' });
    const card = told.find((j) => j.kind === 'update');
    expect(JSON.stringify(card)).toContain('nothing was applied');
  });
});
