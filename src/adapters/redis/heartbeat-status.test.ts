/**
 * The status report read from a real Redis: clusters from the configuration, the heartbeats and the
 * snapshots; drops per minute per node from the drop stream (batched entries and the kernel's
 * suppressed counts included, older entries not); the queues; Redis down reported, not thrown.
 */
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import {
  dropEventBatchFields,
  dropEventFields,
  dropStreamKey,
  DROP_EVENT_VERSION,
  type DropEvent,
} from '../../contracts/drop-events';
import { HEARTBEAT_VERSION, type Heartbeat } from '../../contracts/heartbeat';
import { applyQueueName } from '../../contracts/queues';
import { parseState } from '../../core/state/load-state';
import { startRedis, type TestRedis } from '../../devtools/redis/redis-server';
import { ClusterCache } from './cluster-cache';
import { readStatus } from './heartbeat-status';
import { HeartbeatStore } from './heartbeat-store';

const drop = (node: string, suppressed = 0): DropEvent => ({
  v: DROP_EVENT_VERSION,
  cluster: 'prod',
  node,
  at: new Date().toISOString(),
  pod: null,
  peer: null,
  direction: 'ingress',
  source: '10.0.0.1',
  destination: '10.0.0.2',
  sourcePort: 1234,
  destinationPort: 80,
  protocol: 6,
  peerAddress: '10.0.0.1',
  reason: 'NO_RULE_INGRESS',
  suppressed,
});

const agentBeat = (node: string): Heartbeat => ({
  v: HEARTBEAT_VERSION,
  kind: 'agent',
  id: node,
  version: '0.1.0',
  cluster: 'prod',
  node,
  at: new Date().toISOString(),
  intervalMs: 10_000,
  inSync: true,
  since: new Date().toISOString(),
  queueDepth: 0,
});

describe('readStatus', () => {
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

  it('reports each cluster with its agents’ drops of the last minute, its snapshot and its apply queue', async () => {
    const prefix = `hs-${Date.now()}`;
    const stream = dropStreamKey(prefix, 'prod');
    const hourAgo = Date.now() - 3_600_000;
    await client.xadd(stream, `${hourAgo}-0`, ...dropEventFields(drop('node-1'))); // too old to count
    await client.xadd(stream, '*', ...dropEventFields(drop('node-1')));
    await client.xadd(stream, '*', ...dropEventFields(drop('node-1', 4)));
    await client.xadd(stream, '*', ...dropEventBatchFields([drop('node-2'), drop('node-2')]));
    const beats = new HeartbeatStore(client, { prefix });
    await beats.publish(agentBeat('node-1'));
    await beats.publish(agentBeat('node-2'));
    // A cluster only a snapshot tells of.
    await new ClusterCache(client, prefix).write({
      cluster: 'edge',
      state: parseState('kind: List\nitems: []\n'),
      updatedAt: new Date().toISOString(),
    });
    const queue = new Queue(applyQueueName('prod'), { connection: client, prefix });
    await queue.add('apply', { requestId: 'r-aaaaaaaaaaaaaaaa', cluster: 'prod', policyHash: 'x' });
    await queue.close();

    const report = await readStatus({ redis: client, prefix, clusters: ['prod', 'staging'] });
    expect(report.redis.ok).toBe(true);
    expect(report.clusters.map((c) => [c.cluster, c.configured])).toEqual([
      ['prod', true],
      ['staging', true],
      ['edge', false],
    ]);
    const [prod] = report.clusters;
    expect(prod?.dropsPerMinute).toBe(1 + 5 + 2);
    expect(prod?.agents.map((a) => [a.node, a.dropsPerMinute])).toEqual([
      ['node-1', 6],
      ['node-2', 2],
    ]);
    expect(prod?.applyQueue).toEqual({ name: 'apply-prod', waiting: 1, active: 0, delayed: 0, failed: 0 });
    expect(prod?.liveness.workerAlive).toBe(false);
    expect(report.queues.map((q) => q.name)).toEqual(['slack-outbound', 'request-expiry']);
  });

  it('reports Redis not answering instead of waiting for it', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: null });
    down.on('error', () => undefined);
    void down.connect().catch(() => undefined);
    const report = await readStatus({ redis: down, prefix: 'x', clusters: ['prod'], pingTimeoutMs: 200 });
    down.disconnect();
    expect(report.redis).toEqual({ ok: false, error: 'no answer to PING within 200 ms' });
    expect(report.clusters).toEqual([]);
  });
});
