/**
 * The audit report through the real policy worker (issue 10): a real redis-server, the Kubernetes
 * API stand-in, BullMQ. The report is read back from SLACK_OUTBOUND_QUEUE (no bot posts it here).
 */
import { Queue, QueueEvents } from 'bullmq';
import Redis from 'ioredis';
import pino from 'pino';
import { startKubeApiStandIn, type KubeApiStandIn } from '../../devtools/kube-api';
import { startRedis, type TestRedis } from '../../devtools/redis/redis-server';
import { ClientNodePolicyApi } from '../../adapters/kube/kube-client';
import { FlowStore } from '../../adapters/redis/flow-store';
import { RequestStore } from '../../adapters/redis/request-store';
import type { ObservedFlow } from '../../contracts/observed-flows';
import { policyHash } from '../../contracts/policy-hash';
import {
  applyJobId,
  applyQueueName,
  auditReportJobId,
  auditReportQueueName,
  SLACK_OUTBOUND_QUEUE,
  type ApplyJob,
  type AuditReportJob,
  type SlackOutboundJob,
} from '../../contracts/queues';
import type { RequestRecord } from '../../contracts/request-record';
import { startPolicyWorker, type PolicyWorker } from '../run-worker';
import {
  APPROVAL_CHANNEL,
  APPROVAL_TS,
  approvedRequest,
  fixedClock,
  managedPolicy,
  requestRecord,
  T0,
} from '../../../test/support/worker-fixtures';
import { auditReportMessageId } from './audit-report';

const CLUSTER = 'prod';
const log = pino({ level: 'silent' });

let redis: TestRedis;
let client: Redis;
let standIn: KubeApiStandIn;
let prefix: string;
let store: RequestStore;
let applyQueue: Queue<ApplyJob>;
let auditQueue: Queue<AuditReportJob>;
let outbound: Queue<SlackOutboundJob>;
let applyEvents: QueueEvents;
let auditEvents: QueueEvents;
let worker: PolicyWorker | undefined;

function auditRecord(window: string): RequestRecord {
  const policy = managedPolicy('shop', 'deny-all-shop');
  policy.metadata.annotations = { ...policy.metadata.annotations, 'netpol.io/audit': window };
  return requestRecord(CLUSTER, { policies: [policy], policyHash: policyHash([policy]) });
}

async function applied(record: RequestRecord): Promise<void> {
  const job = await applyQueue.add(
    'apply',
    { requestId: record.id, cluster: CLUSTER, policyHash: record.policyHash },
    { jobId: applyJobId(record.id) },
  );
  await job.waitUntilFinished(applyEvents, 15_000);
}

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

beforeEach(async () => {
  prefix = `audit-${Math.random().toString(36).slice(2)}`;
  standIn = await startKubeApiStandIn({
    initial: { namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }] },
  });
  store = new RequestStore(client, { prefix });
  const connection = { host: '127.0.0.1', port: redis.port };
  applyQueue = new Queue(applyQueueName(CLUSTER), { connection, prefix });
  auditQueue = new Queue(auditReportQueueName(CLUSTER), { connection, prefix });
  outbound = new Queue(SLACK_OUTBOUND_QUEUE, { connection, prefix });
  applyEvents = new QueueEvents(applyQueueName(CLUSTER), { connection, prefix });
  auditEvents = new QueueEvents(auditReportQueueName(CLUSTER), { connection, prefix });
  await Promise.all([applyEvents.waitUntilReady(), auditEvents.waitUntilReady()]);
  worker = await startPolicyWorker(
    {
      cluster: CLUSTER,
      redisUrl: redis.url,
      prefix,
      fieldManager: 'netpol',
      concurrency: 2,
      logLevel: 'silent',
    },
    { log, kubeConfig: standIn.kubeConfig(), clock: fixedClock, syncCluster: false },
  );
});

afterEach(async () => {
  await worker?.close({ force: true });
  await Promise.all([applyQueue, auditQueue, outbound, applyEvents, auditEvents].map((q) => q.close()));
  await standIn.close();
});

describe('audit report', () => {
  test('is due when the window ends and, the policy deleted meanwhile, says so in the thread without Enforce', async () => {
    const record = await approvedRequest(store, auditRecord('2s'));
    await applied(record);
    const report = await auditQueue.getJob(auditReportJobId(record.id));
    // appliedAt is the worker's clock (fixed here): due exactly one window later.
    expect(report?.opts.delay).toBe(2000);
    expect(report?.data).toEqual({ requestId: record.id, cluster: CLUSTER, baseline: [] });

    await new ClientNodePolicyApi(standIn.kubeConfig()).delete('shop', 'deny-all-shop');
    await report!.waitUntilFinished(auditEvents, 15_000);
    const posted = await outbound.getJob(auditReportMessageId(record.id));
    expect(posted?.data).toMatchObject({ kind: 'post', channel: APPROVAL_CHANNEL, threadTs: APPROVAL_TS });
    const shown = JSON.stringify(posted?.data);
    expect(shown).toContain('its policies are no longer in audit mode: `shop/deny-all-shop` was deleted');
    expect(shown).not.toContain('netpol_audit_enforce');
  });

  test('a window that is not a duration applies the policy in audit mode and schedules no report', async () => {
    const record = await approvedRequest(store, auditRecord('soon'));
    await applied(record);
    expect((await store.get(record.id))?.state).toBe('applied');
    const live = await new ClientNodePolicyApi(standIn.kubeConfig()).get('shop', 'deny-all-shop');
    expect(live?.metadata.annotations?.['netpol.io/audit']).toBe('soon');
    expect(await auditQueue.getJob(auditReportJobId(record.id))).toBeUndefined();
  });

  test('a request without audit policies schedules no report', async () => {
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    await applied(record);
    const counts = await auditQueue.getJobCounts('delayed', 'waiting', 'completed');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
  });

  test("counts only this audit's would-block flows (an earlier audit of the same policy's are left out), on how many nodes", async () => {
    const flows = new FlowStore(client, prefix);
    const at = (ms: number) => new Date(T0 + ms).toISOString();
    const seen = (port: number, count: number, from: number, to: number, nodes?: string[]): ObservedFlow => ({
      source: { kind: 'workload', namespace: 'shop', name: 'web', selector: { app: 'web' } },
      destination: { kind: 'workload', namespace: 'shop', name: 'db', selector: { app: 'db' } },
      protocol: 'TCP',
      port,
      verdict: 'would-block',
      auditPolicies: ['shop/deny-all-shop'],
      count,
      firstSeen: at(from),
      lastSeen: at(to),
      ...(nodes === undefined ? {} : { nodes }),
    });
    // An earlier audit of the same policy (same name), before this request's approval (T0 + 60s).
    await flows.record(CLUSTER, [seen(5432, 40, 0, 10_000)], fixedClock());

    const record = await approvedRequest(store, auditRecord('1h'));
    await applied(record);
    const report = await auditQueue.getJob(auditReportJobId(record.id));
    expect(report?.data.baseline).toEqual([expect.objectContaining({ count: 40, firstSeen: at(0) })]);

    // During this audit: the same flow 3 more times (seen by the agents of two nodes), and a new one
    // (from an agent older than node names: no node part).
    await flows.record(
      CLUSTER,
      [seen(5432, 2, 61_000, 62_000, ['node-b']), seen(6379, 2, 61_000, 62_000)],
      fixedClock(),
    );
    await flows.record(CLUSTER, [seen(5432, 1, 61_000, 62_000, ['node-a'])], fixedClock());
    await report!.promote();
    await report!.waitUntilFinished(auditEvents, 15_000);
    const posted = JSON.stringify((await outbound.getJob(auditReportMessageId(record.id)))?.data);
    expect(posted).toContain('would have blocked 5 connections in 2 flows');
    expect(posted).toContain('shop/web → shop/db tcp/5432: 3 connections, 2 nodes (by shop/deny-all-shop)');
    expect(posted).toContain('shop/web → shop/db tcp/6379: 2 connections (by shop/deny-all-shop)');
  });
});
