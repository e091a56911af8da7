/**
 * The policy worker's heartbeat over a real Redis and the Kubernetes API stand-in: listed as soon as
 * it runs, in sync once its snapshot is written, its apply queue's depth, and a last beat saying it
 * stopped when it is closed (a killed one just falls silent).
 */
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import pino from 'pino';
import { HeartbeatStore } from '../adapters/redis/heartbeat-store';
import { isSilent, type Heartbeat } from '../contracts/heartbeat';
import { applyQueueName, type ApplyJob } from '../contracts/queues';
import { startKubeApiStandIn, type KubeApiStandIn } from '../devtools/kube-api';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import { startPolicyWorker } from './run-worker';

const log = pino({ level: 'silent' });

/** Polls `probe` until it returns a value, or fails after `timeoutMs` saying what was awaited. */
async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the policy worker’s heartbeat', () => {
  let redis: TestRedis;
  let client: Redis;
  let kube: KubeApiStandIn;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    kube = await startKubeApiStandIn({
      initial: { namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'backend' } }] },
    });
  });
  afterAll(async () => {
    client.disconnect();
    await kube.close();
    await redis.stop();
  });

  it('publishes who it is, that it is in sync, its queue depth, and that it stopped', async () => {
    const prefix = `whb-${Date.now()}`;
    const queue = new Queue<ApplyJob>(applyQueueName('prod'), { connection: client, prefix });
    // A job due in an hour: waiting on the queue, counted in its depth.
    await queue.add(
      'apply',
      { requestId: 'r-aaaaaaaaaaaaaaaa', cluster: 'prod', policyHash: 'x' },
      { delay: 3_600_000 },
    );
    const worker = await startPolicyWorker(
      {
        cluster: 'prod',
        redisUrl: redis.url,
        prefix,
        fieldManager: 'netpol',
        concurrency: 1,
        logLevel: 'silent',
      },
      { log, kubeConfig: kube.kubeConfig(), timing: { heartbeatIntervalMs: 50, syncDebounceMs: 5 } },
    );
    const store = new HeartbeatStore(client, { prefix });
    const beat = await eventually(async () => {
      const [first] = await store.list('prod');
      return first?.inSync === true ? first : undefined;
    }, 'an in-sync worker heartbeat');
    expect(beat).toMatchObject<Partial<Heartbeat>>({
      kind: 'worker',
      cluster: 'prod',
      inSync: true,
      queueDepth: 1,
      intervalMs: 50,
    });
    expect(beat.id).toMatch(/^.+:\d+$/);
    expect(beat.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(beat.lastSync).toBe(beat.at);
    expect(isSilent(beat, new Date())).toBe(false);

    await worker.close();
    const [last] = await store.list('prod');
    expect(last?.stoppedAt).toBeDefined();
    expect(isSilent(last as Heartbeat, new Date())).toBe(true);
    await queue.close();
  });

  it('falls silent without a last beat when killed', async () => {
    const prefix = `whk-${Date.now()}`;
    const worker = await startPolicyWorker(
      {
        cluster: 'prod',
        redisUrl: redis.url,
        prefix,
        fieldManager: 'netpol',
        concurrency: 1,
        logLevel: 'silent',
      },
      { log, kubeConfig: kube.kubeConfig(), timing: { heartbeatIntervalMs: 50 } },
    );
    const store = new HeartbeatStore(client, { prefix });
    await eventually(async () => (await store.list('prod'))[0], 'a worker heartbeat');
    await worker.close({ force: true });
    const [last] = await store.list('prod');
    expect(last?.stoppedAt).toBeUndefined();
    // Three missed beats later it reads as silent.
    await eventually(async () => (isSilent(last as Heartbeat, new Date()) ? true : undefined), 'silence');
    expect((await store.list('prod'))[0]?.at).toBe(last?.at);
  });
});
