/**
 * The policy worker end to end: a real redis-server, the Kubernetes API stand-in over HTTP, the real
 * RequestStore, BullMQ and client-node. Messages for Slack are read back from SLACK_OUTBOUND_QUEUE.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import Redis from 'ioredis';
import pino from 'pino';
import { startKubeApiStandIn, type KubeApiStandIn } from '../devtools/kube-api';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import type { WorkerConfig } from '../platform/config/config';
import type { NetworkPolicy } from '../core/k8s/types';
import { ANNOTATIONS, MANAGED_BY_LABEL, REQUEST_ID_LABEL } from '../core/policy/provenance';
import {
  applyJobId,
  applyQueueName,
  SLACK_OUTBOUND_QUEUE,
  type ApplyJob,
  type SlackOutboundJob,
} from '../contracts/queues';
import { policyHash } from '../contracts/policy-hash';
import type { RequestRecord } from '../contracts/request-record';
import { RequestStore } from '../adapters/redis/request-store';
import { createApplyProcessor, desiredPolicy } from './apply-processor';
import { ClientNodePolicyApi, type PolicyApi } from '../adapters/kube/kube-client';
import { startPolicyWorker, type PolicyWorker, type PolicyWorkerTiming } from './run-worker';
import {
  APPROVAL_CHANNEL,
  APPROVAL_TS,
  APPROVER,
  approvedRequest,
  DEFAULT_SPEC,
  fixedClock,
  managedPolicy,
  REQUESTER,
  requestRecord,
} from '../../test/support/worker-fixtures';

const CLUSTER = 'prod';
const NAME = 'allow-web-to-db';
const FAST: Partial<PolicyWorkerTiming> = { reconcileIntervalMs: 60_000 };

let redis: TestRedis;
let client: Redis;
let standIn: KubeApiStandIn;
let prefix: string;
let store: RequestStore;
let applyQueue: Queue<ApplyJob>;
let outbound: Queue<SlackOutboundJob>;
let events: QueueEvents;
const workers: PolicyWorker[] = [];
const log = pino({ level: 'silent' });

const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

function config(): WorkerConfig {
  return {
    cluster: CLUSTER,
    redisUrl: redis.url,
    prefix,
    fieldManager: 'netpol',
    concurrency: 2,
    logLevel: 'silent',
  };
}

async function startWorker(
  options: { policies?: PolicyApi; timing?: Partial<PolicyWorkerTiming> } = {},
): Promise<PolicyWorker> {
  const worker = await startPolicyWorker(config(), {
    log,
    kubeConfig: standIn.kubeConfig(),
    policies: options.policies,
    clock: fixedClock,
    syncCluster: false,
    timing: { ...FAST, ...options.timing },
  });
  workers.push(worker);
  return worker;
}

/** Enqueues as the bot does, with a short backoff so retries happen within the test. */
function enqueue(
  record: RequestRecord,
  data: Partial<ApplyJob> = {},
  jobId = applyJobId(record.id),
): Promise<Job<ApplyJob>> {
  return applyQueue.add(
    'apply',
    { requestId: record.id, cluster: record.cluster, policyHash: record.policyHash, ...data },
    { jobId, attempts: 4, backoff: { type: 'fixed', delay: 50 } },
  );
}

const finished = (job: Job<ApplyJob>) => job.waitUntilFinished(events, 15_000);

function stored(ns = 'shop', name = NAME): NetworkPolicy | undefined {
  return standIn.store.get('networkpolicies', ns, name) as NetworkPolicy | undefined;
}

const patches = () => standIn.requests.filter((r) => r.verb === 'patch' && r.resource === 'networkpolicies');

async function outboundJobs(): Promise<SlackOutboundJob[]> {
  const jobs = await outbound.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return jobs.map((j) => j.data);
}

/** The replies posted (the card edits are `update` jobs beside them). */
async function posted(): Promise<SlackOutboundJob[]> {
  return (await outboundJobs()).filter((job) => job.kind === 'post');
}

/** Everything a person reads in a job: its fallback text and its blocks. */
const shown = (job: SlackOutboundJob | undefined): string => JSON.stringify(job ?? {});

const auditActions = async (id: string) => (await store.audit(id)).map((e) => e.action);

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

beforeEach(async () => {
  prefix = `wt-${Math.random().toString(36).slice(2)}`;
  standIn = await startKubeApiStandIn({
    initial: { namespaces: [namespace('shop'), namespace('pay'), namespace('frontend')] },
  });
  store = new RequestStore(client, { prefix });
  const connection = { host: '127.0.0.1', port: redis.port };
  applyQueue = new Queue<ApplyJob>(applyQueueName(CLUSTER), { connection, prefix });
  outbound = new Queue<SlackOutboundJob>(SLACK_OUTBOUND_QUEUE, { connection, prefix });
  events = new QueueEvents(applyQueueName(CLUSTER), { connection, prefix });
  await events.waitUntilReady();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close({ force: true })));
  await Promise.all([applyQueue.close(), outbound.close(), events.close()]);
  await standIn.close();
});

describe('apply', () => {
  test('an approved request is applied exactly as approved, with provenance, and told in the thread', async () => {
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    const enqueued = await enqueue(record);
    await startWorker();
    await finished(enqueued);

    const policy = stored();
    expect(policy?.spec).toEqual(DEFAULT_SPEC);
    expect(policy?.metadata.labels).toMatchObject({
      [MANAGED_BY_LABEL]: 'netpol',
      [REQUEST_ID_LABEL]: record.id,
    });
    expect(policy?.metadata.annotations).toMatchObject({
      [ANNOTATIONS.approver]: APPROVER,
      [ANNOTATIONS.requester]: REQUESTER,
      [ANNOTATIONS.requestId]: record.id,
      [ANNOTATIONS.command]: record.command,
      [ANNOTATIONS.cluster]: CLUSTER,
    });

    const [patch] = patches();
    expect(patches()).toHaveLength(1);
    expect(patch?.contentType).toMatch(/^application\/apply-patch\+yaml/);
    expect(patch?.query).toMatchObject({ fieldManager: 'netpol', force: 'true' });

    const after = await store.get(record.id);
    expect(after).toMatchObject({ state: 'applied', appliedAt: fixedClock().toISOString(), attempts: 1 });
    expect(await auditActions(record.id)).toEqual(['submitted', 'approved', 'apply-started', 'applied']);
    const audit = await store.audit(record.id);
    expect(audit.at(-1)).toMatchObject({ actor: `worker:${CLUSTER}`, from: 'applying', to: 'applied' });

    const messages = await posted();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ kind: 'post', channel: APPROVAL_CHANNEL, threadTs: APPROVAL_TS });
    expect(shown(messages[0])).toContain(`Applied on cluster *${CLUSTER}*`);
    expect(shown(messages[0])).toContain(`<@${APPROVER}>`);
    const card = (await outboundJobs()).find((job) => job.kind === 'update');
    expect(card).toMatchObject({ kind: 'update', channel: APPROVAL_CHANNEL, ts: APPROVAL_TS });
    expect(shown(card)).toMatch(/Applied/);
    expect(shown(card)).not.toContain('"type":"button"');
  });

  test('every policy of a request is applied; without an approval message the reply goes to the request channel', async () => {
    const policies = [managedPolicy('shop', NAME), managedPolicy('pay', NAME)];
    const record = await approvedRequest(
      store,
      requestRecord(CLUSTER, { policies, policyHash: policyHash(policies) }),
      {
        approvalMessage: false,
      },
    );
    const enqueued = await enqueue(record);
    await startWorker();
    await finished(enqueued);
    expect(stored('shop')?.spec).toEqual(DEFAULT_SPEC);
    expect(stored('pay')?.spec).toEqual(DEFAULT_SPEC);
    const messages = await posted();
    expect(messages).toEqual([expect.objectContaining({ kind: 'post', channel: 'C0REQUESTS' })]);
    expect(messages[0]).not.toHaveProperty('threadTs');
  });

  test('the policies that admit traffic are written before a deny-all of the same request', async () => {
    const denyAll = managedPolicy('shop', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
    const allow = managedPolicy('shop', NAME);
    const policies = [denyAll, allow];
    const record = await approvedRequest(
      store,
      requestRecord(CLUSTER, { policies, policyHash: policyHash(policies) }),
    );
    const enqueued = await enqueue(record);
    await startWorker();
    await finished(enqueued);
    expect(patches().map((p) => p.name)).toEqual([NAME, 'deny-all']);
    expect((await store.get(record.id))?.state).toBe('applied');
  });

  test('running the same job again changes nothing', async () => {
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    const enqueued = await enqueue(record);
    await startWorker();
    await finished(enqueued);
    const version = stored()?.metadata.resourceVersion;
    const requestsBefore = standIn.requests.length;

    await finished(await enqueue(record, {}, `${applyJobId(record.id)}-again`));
    expect(stored()?.metadata.resourceVersion).toBe(version);
    expect(standIn.requests.length).toBe(requestsBefore);
    expect(await auditActions(record.id)).toEqual(['submitted', 'approved', 'apply-started', 'applied']);
    expect(await posted()).toHaveLength(1);
  });

  test('re-applying what an earlier attempt already applied is a server-side apply no-op', async () => {
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    // As if a worker had applied the objects and died before recording `applied`.
    await new ClientNodePolicyApi(standIn.kubeConfig()).apply(
      desiredPolicy(record, record.policies[0]!),
      'netpol',
    );
    const version = stored()?.metadata.resourceVersion;
    const enqueued = await enqueue(record);
    await startWorker();
    await finished(enqueued);
    expect(patches()).toHaveLength(2);
    expect(stored()?.metadata.resourceVersion).toBe(version);
    expect((await store.get(record.id))?.state).toBe('applied');
  });
});

describe('failures', () => {
  test('403: failed at once with the RBAC message after exactly one attempt', async () => {
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    standIn.failNext({ verb: 'patch', resource: 'networkpolicies', status: 403 });
    const job = await enqueue(record);
    await startWorker();
    await expect(finished(job)).rejects.toThrow(/forbidden/);

    expect(patches()).toHaveLength(1);
    expect((await applyQueue.getJob(job.id!))?.attemptsMade).toBe(1);
    const after = await store.get(record.id);
    expect(after?.state).toBe('failed');
    expect(after?.reason).toContain(
      'networkpolicies.networking.k8s.io "allow-web-to-db" is forbidden: User "system:serviceaccount:netpol:worker" cannot patch resource "networkpolicies"',
    );
    expect(await auditActions(record.id)).toEqual(['submitted', 'approved', 'apply-started', 'failed']);
    const messages = await posted();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ channel: APPROVAL_CHANNEL, threadTs: APPROVAL_TS });
    expect(shown(messages[0])).toContain('could not be applied');
    expect(shown(messages[0])).toContain('is forbidden');
    expect(stored()).toBeUndefined();
  });

  test('422: failed with the API server validation message', async () => {
    const spec = { ...DEFAULT_SPEC, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] };
    const policies = [managedPolicy('shop', NAME, spec)];
    const record = await approvedRequest(
      store,
      requestRecord(CLUSTER, { policies, policyHash: policyHash(policies) }),
    );
    const enqueued = await enqueue(record);
    await startWorker();
    await expect(finished(enqueued)).rejects.toThrow(/Invalid/);
    const after = await store.get(record.id);
    expect(after?.state).toBe('failed');
    expect(after?.reason).toMatch(
      /^Invalid: NetworkPolicy.networking.k8s.io "allow-web-to-db" is invalid: spec.ingress\[0\].from\[0\].ipBlock.cidr: Invalid value: "10.0.0.0\/33"/,
    );
    expect(patches()).toHaveLength(1);
    expect(shown((await posted())[0])).toContain('is invalid');
  });

  test('409 once: retried, then applied', async () => {
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    standIn.failNext({ verb: 'patch', resource: 'networkpolicies', status: 409 });
    const enqueued = await enqueue(record);
    await startWorker();
    await finished(enqueued);
    expect(patches()).toHaveLength(2);
    expect(stored()?.spec).toEqual(DEFAULT_SPEC);
    const after = await store.get(record.id);
    expect(after).toMatchObject({ state: 'applied', attempts: 2 });
    expect(await auditActions(record.id)).toEqual([
      'submitted',
      'approved',
      'apply-started',
      'apply-retry',
      'apply-started',
      'applied',
    ]);
    expect(await posted()).toHaveLength(1);
  });

  test('a transient error on the last attempt marks the request failed', async () => {
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    standIn.failNext({ verb: 'patch', resource: 'networkpolicies', status: 503, times: 10 });
    const job = await applyQueue.add(
      'apply',
      { requestId: record.id, cluster: CLUSTER, policyHash: record.policyHash },
      { jobId: applyJobId(record.id), attempts: 2, backoff: { type: 'fixed', delay: 20 } },
    );
    await startWorker();
    await expect(finished(job)).rejects.toThrow();
    expect(patches()).toHaveLength(2);
    const after = await store.get(record.id);
    expect(after?.state).toBe('failed');
    expect(after?.reason).toMatch(/^ServiceUnavailable: .*\(gave up after 2 attempts\)$/);
    expect(await auditActions(record.id)).toEqual([
      'submitted',
      'approved',
      'apply-started',
      'apply-retry',
      'apply-started',
      'failed',
    ]);
    expect(await posted()).toHaveLength(1);
  });

  test('a job whose hash is not the approved one is refused and nothing is applied', async () => {
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    const enqueued = await enqueue(record, { policyHash: 'f'.repeat(64) });
    await startWorker();
    await expect(finished(enqueued)).rejects.toThrow(/hash mismatch/);
    expect(patches()).toHaveLength(0);
    expect(stored()).toBeUndefined();
    const after = await store.get(record.id);
    expect(after?.state).toBe('failed');
    expect(after?.reason).toContain('hash mismatch');
    expect(await auditActions(record.id)).toEqual(['submitted', 'approved', 'refused']);
    expect(shown((await posted())[0])).toContain('could not be applied');
  });

  test('stored policies that do not hash to the approved hash are refused', async () => {
    const approved = managedPolicy('shop', NAME);
    const widened = managedPolicy('shop', NAME, { ...DEFAULT_SPEC, ingress: [{}] });
    const record = await approvedRequest(
      store,
      requestRecord(CLUSTER, { policies: [widened], policyHash: policyHash([approved]) }),
    );
    const enqueued = await enqueue(record);
    await startWorker();
    await expect(finished(enqueued)).rejects.toThrow(/hash mismatch/);
    expect(patches()).toHaveLength(0);
    expect(stored()).toBeUndefined();
    expect((await store.get(record.id))?.state).toBe('failed');
  });

  test('policies changed between the hash check and the apply are refused: it hashes what it applies', async () => {
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    const widened = [managedPolicy('shop', NAME, { ...DEFAULT_SPEC, ingress: [{}] })];
    // The store as seen by a worker racing a writer: the record changes right before apply-started.
    const racing = Object.create(store) as RequestStore;
    racing.transition = async (id, change) => {
      if (change.action === 'apply-started') {
        await client.hset(`${prefix}:req:${id}`, 'policies', JSON.stringify(widened));
        await client.hset(`${prefix}:req:${id}`, 'policyHash', policyHash(widened));
      }
      return store.transition(id, change);
    };
    const told: SlackOutboundJob[] = [];
    const processor = createApplyProcessor({
      store: racing,
      policies: new ClientNodePolicyApi(standIn.kubeConfig()),
      notify: async (job) => {
        told.push(job);
      },
      cluster: CLUSTER,
      fieldManager: 'netpol',
      clock: fixedClock,
      log,
    });
    const job = {
      id: applyJobId(record.id),
      data: { requestId: record.id, cluster: CLUSTER, policyHash: record.policyHash },
      attemptsMade: 0,
      opts: { attempts: 1 },
    } as unknown as Job<ApplyJob>;
    await expect(processor(job)).rejects.toThrow(/hash mismatch/);
    expect(patches()).toHaveLength(0);
    expect(stored()).toBeUndefined();
    const after = await store.get(record.id);
    expect(after?.state).toBe('failed');
    expect(after?.reason).toContain('hash mismatch');
    expect(await auditActions(record.id)).toEqual(['submitted', 'approved', 'apply-started', 'refused']);
    expect(shown(told[0])).toContain('could not be applied');
  });

  test('a policy of the same name that netpol does not manage is left untouched', async () => {
    const foreign = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: NAME, namespace: 'shop', labels: { team: 'dba' } },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    standIn.seed([foreign]);
    const before = stored();
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    const enqueued = await enqueue(record);
    await startWorker();
    await expect(finished(enqueued)).rejects.toThrow(/not managed by netpol/);
    expect(patches()).toHaveLength(0);
    expect(stored()).toEqual(before);
    const after = await store.get(record.id);
    expect(after?.state).toBe('failed');
    expect(after?.reason).toBe(
      'NetworkPolicy shop/allow-web-to-db exists and is not managed by netpol; it was left untouched',
    );
    expect(await auditActions(record.id)).toEqual(['submitted', 'approved', 'apply-started', 'refused']);
  });

  test('a request that is not approved is left alone', async () => {
    const record = requestRecord(CLUSTER);
    await store.create(record);
    const enqueued = await enqueue(record);
    await startWorker();
    await finished(enqueued);
    expect((await store.get(record.id))?.state).toBe('pending-approval');
    expect(patches()).toHaveLength(0);
    expect(await posted()).toHaveLength(0);
  });
});

describe('revoke', () => {
  test('deletes the policies netpol manages; one already gone is fine', async () => {
    const policies = [managedPolicy('shop', NAME), managedPolicy('pay', NAME)];
    standIn.seed([policies[0]!]);
    const record = await approvedRequest(
      store,
      requestRecord(CLUSTER, { action: 'revoke', policies, policyHash: policyHash(policies) }),
    );
    const enqueued = await enqueue(record);
    await startWorker();
    await finished(enqueued);
    expect(stored('shop')).toBeUndefined();
    expect((await store.get(record.id))?.state).toBe('applied');
    expect(shown((await posted())[0])).toContain(`Deleted from cluster *${CLUSTER}*`);
  });

  test('refuses to delete a policy netpol does not manage', async () => {
    const foreign = { ...managedPolicy('shop', NAME), metadata: { name: NAME, namespace: 'shop' } };
    standIn.seed([foreign]);
    const record = await approvedRequest(store, requestRecord(CLUSTER, { action: 'revoke' }));
    const enqueued = await enqueue(record);
    await startWorker();
    await expect(finished(enqueued)).rejects.toThrow(/not managed by netpol/);
    expect(stored()).toBeDefined();
    expect(standIn.requests.filter((r) => r.verb === 'delete')).toHaveLength(0);
    expect((await store.get(record.id))?.state).toBe('failed');
  });
});

describe('a worker that dies mid-apply', () => {
  test('its job stalls, another worker re-runs it, and the request is applied exactly once', async () => {
    const timing = { lockDurationMs: 1000, stalledIntervalMs: 250, maxStalledCount: 1 };
    const real = new ClientNodePolicyApi(standIn.kubeConfig());
    let reached!: () => void;
    const applyReached = new Promise<void>((resolve) => (reached = resolve));
    const hanging: PolicyApi = {
      get: (ns, name) => real.get(ns, name),
      delete: (ns, name) => real.delete(ns, name),
      // The first worker's apply never returns, as if the process froze on the PATCH.
      apply: () => {
        reached();
        return new Promise<NetworkPolicy>(() => undefined);
      },
    };
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    const first = await startWorker({ policies: hanging, timing });
    const job = await enqueue(record);
    await applyReached;
    await first.close({ force: true });
    expect((await store.get(record.id))?.state).toBe('applying');

    await startWorker({ timing });
    await finished(job);
    expect(stored()?.spec).toEqual(DEFAULT_SPEC);
    const actions = await auditActions(record.id);
    expect(actions.filter((a) => a === 'applied')).toHaveLength(1);
    expect(actions.filter((a) => a === 'apply-started')).toHaveLength(2);
    expect((await store.get(record.id))?.state).toBe('applied');
    expect(await posted()).toHaveLength(1);
  });
});

describe('reconciler', () => {
  test('an approved request whose job was lost is enqueued when the worker starts, and applied', async () => {
    const record = await approvedRequest(store, requestRecord(CLUSTER));
    const completed = new Promise<void>((resolve) =>
      events.on('completed', ({ jobId }) => {
        if (jobId === applyJobId(record.id)) resolve();
      }),
    );
    await startWorker();
    await completed;
    expect((await store.get(record.id))?.state).toBe('applied');
    expect(stored()?.spec).toEqual(DEFAULT_SPEC);
  });
});
