/**
 * The cluster sync against the Kubernetes API stand-in (watch stream, resourceVersions, faults) and a
 * real redis-server holding the ClusterCache.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import Redis from 'ioredis';
import pino from 'pino';
import { startKubeApiStandIn, type KubeApiStandIn } from '../devtools/kube-api';
import { startRedis, type TestRedis } from '../devtools/redis/redis-server';
import { ClusterCache, type ClusterSnapshot } from '../adapters/redis/cluster-cache';
import { ClusterSync } from './cluster-sync';
import { ClientNodePolicyApi } from '../adapters/kube/kube-client';
import { DEFAULT_SPEC, fixedClock, managedPolicy } from '../../test/support/worker-fixtures';

const CLUSTER = 'prod';

let redis: TestRedis;
let client: Redis;
let standIn: KubeApiStandIn;
let cache: ClusterCache;
let sync: ClusterSync;

const namespace = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});

function pod(ns: string, name: string, labels: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'main', image: 'postgres:16', ports: [{ containerPort: 5432 }] }] },
  };
}

const hasPod = (name: string) => (s: ClusterSnapshot) => s.state.pods.some((p) => p.name === name);
const requestsTo = (path: string) => standIn.requests.filter((r) => r.path === path && r.verb !== 'watch');

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

beforeEach(async () => {
  standIn = await startKubeApiStandIn({
    initial: {
      namespaces: [namespace('shop', { team: 'shop' }), namespace('frontend')],
      pods: [pod('shop', 'db-0', { app: 'db' })],
    },
  });
  cache = new ClusterCache(client, `cs-${Math.random().toString(36).slice(2)}`);
  sync = new ClusterSync({
    cluster: CLUSTER,
    kubeConfig: standIn.kubeConfig(),
    cache,
    clock: fixedClock,
    log: pino({ level: 'silent' }),
    debounceMs: 20,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  sync.start();
});

afterEach(async () => {
  await sync.stop();
  await standIn.close();
});

test('writes a snapshot of the listed cluster, skipping kinds the API does not serve', async () => {
  const snapshot = await sync.waitForSnapshot(hasPod('db-0'));
  expect(snapshot).toMatchObject({ cluster: CLUSTER, updatedAt: fixedClock().toISOString() });
  expect(snapshot.state.namespaces.map((n) => n.name)).toEqual(['frontend', 'shop']);
  expect(snapshot.state.namespaces.find((n) => n.name === 'shop')?.labels).toMatchObject({ team: 'shop' });
  expect(snapshot.state.pods).toEqual([
    expect.objectContaining({
      namespace: 'shop',
      name: 'db-0',
      labels: { app: 'db' },
      ports: [{ containerPort: 5432, protocol: 'TCP' }],
    }),
  ]);
  expect(await cache.read(CLUSTER)).toEqual(snapshot);
  // Deployments are not served by the stand-in: one 404, then left alone.
  expect(requestsTo('/apis/apps/v1/deployments')).toHaveLength(1);
  expect(requestsTo('/api/v1/services')).toHaveLength(1);
});

test('follows pods created and deleted, and policies applied', async () => {
  await sync.waitForSnapshot(hasPod('db-0'));
  const core = standIn.kubeConfig().makeApiClient(CoreV1Api);

  await core.createNamespacedPod({ namespace: 'frontend', body: pod('frontend', 'web-0', { app: 'web' }) });
  await sync.waitForSnapshot(hasPod('web-0'));

  await core.deleteNamespacedPod({ namespace: 'shop', name: 'db-0' });
  const afterDelete = await sync.waitForSnapshot((s) => !hasPod('db-0')(s));
  expect(afterDelete.state.pods.map((p) => p.name)).toEqual(['web-0']);

  await new ClientNodePolicyApi(standIn.kubeConfig()).apply(
    managedPolicy('shop', 'allow-web-to-db'),
    'netpol',
  );
  const withPolicy = await sync.waitForSnapshot((s) => s.state.policies.length === 1);
  expect(withPolicy.state.policies[0]?.metadata).toMatchObject({
    namespace: 'shop',
    name: 'allow-web-to-db',
  });
  expect(withPolicy.state.policies[0]?.spec).toEqual(DEFAULT_SPEC);
  expect(await cache.read(CLUSTER)).toEqual(withPolicy);
});

test('relists after a failed watch, with backoff, and the relist is the truth', async () => {
  await sync.waitForSnapshot(hasPod('db-0'));
  const podLists = requestsTo('/api/v1/pods').length;
  // The pods watch ends; its restart fails once with a 500, then a relist must bring the cluster back.
  standIn.failNext({ verb: 'watch', resource: 'pods', status: 500 });
  standIn.dropWatches();
  standIn.seed([pod('shop', 'db-1', { app: 'db' })]);
  await sync.waitForSnapshot(hasPod('db-1'));
  expect(requestsTo('/api/v1/pods').length).toBeGreaterThan(podLists);
});

test('relists at once when the watch says the resourceVersion is gone (410)', async () => {
  await sync.waitForSnapshot(hasPod('db-0'));
  standIn.failNext({ verb: 'watch', resource: 'pods', status: 410 });
  standIn.dropWatches();
  const podLists = requestsTo('/api/v1/pods').length;
  standIn.seed([pod('shop', 'db-2', { app: 'db' })]);
  await sync.waitForSnapshot(hasPod('db-2'));
  expect(requestsTo('/api/v1/pods').length).toBeGreaterThan(podLists);
});

test('keeps listing while the API is failing, and writes nothing until every kind has listed', async () => {
  await sync.stop();
  standIn.failNext({ verb: 'list', resource: 'namespaces', status: 503, times: 3 });
  const fresh = new ClusterCache(client, `cs-${Math.random().toString(36).slice(2)}`);
  sync = new ClusterSync({
    cluster: CLUSTER,
    kubeConfig: standIn.kubeConfig(),
    cache: fresh,
    clock: fixedClock,
    log: pino({ level: 'silent' }),
    debounceMs: 20,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  sync.start();
  const seen: ClusterSnapshot[] = [];
  const snapshot = await sync.waitForSnapshot((s) => seen.push(s) > 0 && hasPod('db-0')(s));
  // The first snapshot written already has the namespaces as listed (their labels), not guessed ones.
  expect(seen[0]?.state.namespaces.find((n) => n.name === 'shop')?.labels).toMatchObject({ team: 'shop' });
  expect(snapshot.state.namespaces.map((n) => n.name)).toEqual(['frontend', 'shop']);
  const failed = standIn.requests.filter(
    (r) => r.verb === 'list' && r.resource === 'namespaces' && r.status === 503,
  );
  expect(failed).toHaveLength(3);
  expect(await fresh.read(CLUSTER)).toEqual(snapshot);
});
