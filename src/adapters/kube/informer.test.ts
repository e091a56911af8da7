/**
 * The informer against the Kubernetes API stand-in: real HTTP, the real watch stream, resourceVersions,
 * compaction (410) and injected Status failures. The backoff timer is injected only to record the
 * delays asked for; it still waits them out with a real timer.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import { startKubeApiStandIn, type KubeApiStandIn } from '../../devtools/kube-api';
import {
  Informer,
  type InformerEvent,
  type InformerOptions,
  type KubeObject,
  type Schedule,
} from './informer';
import { kindSources } from './kinds';

let standIn: KubeApiStandIn;
let informers: Informer[];
let core: CoreV1Api;

function pod(ns: string, name: string, labels: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'main', image: 'postgres:16', ports: [{ containerPort: 5432 }] }] },
  };
}

/** A started informer for `kind`, the events it emitted, and the backoff delays it asked for. */
function startInformer(kind: 'Pod' | 'Namespace' | 'Deployment', options: Partial<InformerOptions> = {}) {
  const events: InformerEvent[] = [];
  const delays: number[] = [];
  const schedule: Schedule = (callback, delayMs) => {
    delays.push(delayMs);
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  };
  const informer = new Informer({
    source: kindSources(standIn.kubeConfig())[kind],
    kubeConfig: standIn.kubeConfig(),
    log: pino({ level: 'silent' }),
    backoff: { initialMs: 10, maxMs: 25 },
    schedule,
    ...options,
  });
  informer.onChange((event) => events.push(event));
  informers.push(informer);
  informer.start();
  return { informer, events, delays };
}

/** Resolves once `predicate` holds for the informer, checked now and after each of its events. */
function until(informer: Informer, predicate: (objects: ReadonlyMap<string, KubeObject>) => boolean) {
  return new Promise<ReadonlyMap<string, KubeObject>>((resolve, reject) => {
    const check = (): void => {
      if (!informer.synced || !predicate(informer.objects)) return;
      finish();
      resolve(informer.objects);
    };
    const timer = setTimeout(() => {
      finish();
      reject(
        new Error(
          `the ${informer.kind} informer never met the condition; it has ${[...informer.objects.keys()]}`,
        ),
      );
    }, 5000);
    const unsubscribe = informer.onChange(check);
    const finish = (): void => {
      clearTimeout(timer);
      unsubscribe();
    };
    check();
  });
}

const podLists = () => standIn.requests.filter((r) => r.path === '/api/v1/pods' && r.verb === 'list');
const labelsOf = (object: KubeObject | undefined) => (object?.metadata as KubeObject | undefined)?.labels;

beforeEach(async () => {
  informers = [];
  standIn = await startKubeApiStandIn({
    initial: {
      namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }],
      pods: [pod('shop', 'db-0', { app: 'db' }), pod('shop', 'web-0', { app: 'web' })],
    },
  });
  core = standIn.kubeConfig().makeApiClient(CoreV1Api);
});

afterEach(async () => {
  for (const informer of informers) informer.stop();
  await standIn.close();
});

test('lists the kind at start, keyed by namespace/name, in the wire shape', async () => {
  const { informer, events } = startInformer('Pod');
  const objects = await until(informer, (o) => o.size === 2);
  expect([...objects.keys()].sort()).toEqual(['shop/db-0', 'shop/web-0']);
  const db = objects.get('shop/db-0') as { kind: string; metadata: KubeObject; spec: KubeObject };
  expect(db.kind).toBe('Pod');
  expect(db.metadata).toMatchObject({ name: 'db-0', namespace: 'shop', labels: { app: 'db' } });
  expect(db.metadata.managedFields).toBeUndefined();
  expect(db.spec).toMatchObject({ containers: [{ name: 'main', ports: [{ containerPort: 5432 }] }] });
  expect(events[0]).toMatchObject({ type: 'listed', count: 2 });
  expect(podLists()).toHaveLength(1);

  const namespaces = startInformer('Namespace').informer;
  expect([...(await until(namespaces, (o) => o.size === 1)).keys()]).toEqual(['/shop']);
});

test('follows objects added, modified and deleted through the watch, without listing again', async () => {
  const { informer, events } = startInformer('Pod');
  await until(informer, (o) => o.size === 2);

  await core.createNamespacedPod({ namespace: 'shop', body: pod('shop', 'db-1', { app: 'db' }) });
  await until(informer, (o) => o.has('shop/db-1'));

  const dbZero = standIn.store.get('pods', 'shop', 'db-0') as KubeObject;
  standIn.seed([
    { ...dbZero, metadata: { ...(dbZero.metadata as KubeObject), labels: { app: 'db', tier: 'data' } } },
  ]);
  await until(informer, (o) => (labelsOf(o.get('shop/db-0')) as KubeObject | undefined)?.tier === 'data');

  await core.deleteNamespacedPod({ namespace: 'shop', name: 'web-0' });
  const objects = await until(informer, (o) => !o.has('shop/web-0'));

  expect([...objects.keys()].sort()).toEqual(['shop/db-0', 'shop/db-1']);
  expect(events.map((e) => ('key' in e ? `${e.type} ${e.key}` : e.type))).toEqual([
    'listed',
    'added shop/db-1',
    'modified shop/db-0',
    'deleted shop/web-0',
  ]);
  expect(podLists()).toHaveLength(1);
});

test('relists at once when the resumed watch is too old (410 in the stream), and the list is the truth', async () => {
  const { informer, events, delays } = startInformer('Pod');
  await until(informer, (o) => o.size === 2);
  // The watch ends (the server's timeout); before it resumes, a pod is added and the history
  // compacted, so the resumed watch gets an ERROR event with 410 Expired.
  standIn.dropWatches();
  standIn.seed([pod('shop', 'db-2', { app: 'db' })]);
  standIn.compact();

  const objects = await until(informer, (o) => o.has('shop/db-2'));
  expect(objects.size).toBe(3);
  expect(podLists()).toHaveLength(2);
  expect(events.filter((e) => e.type === 'listed')).toHaveLength(2);
  // Seen through the relist, not as a watch event.
  expect(events.some((e) => e.type === 'added')).toBe(false);
  expect(delays).toEqual([]);
});

test('relists at once when the watch is refused with 410 Gone', async () => {
  const { informer, delays } = startInformer('Pod');
  await until(informer, (o) => o.size === 2);
  standIn.failNext({ verb: 'watch', resource: 'pods', status: 410 });
  standIn.dropWatches();
  standIn.seed([pod('shop', 'db-3', { app: 'db' })]);
  await until(informer, (o) => o.has('shop/db-3'));
  expect(podLists()).toHaveLength(2);
  expect(delays).toEqual([]);
});

test('retries a server error with a capped, doubling backoff', async () => {
  standIn.failNext({ verb: 'list', resource: 'pods', status: 503, times: 3 });
  const { informer, events, delays } = startInformer('Pod');
  await until(informer, (o) => o.size === 2);
  expect(delays).toEqual([10, 20, 25]);
  expect(podLists().map((r) => r.status)).toEqual([503, 503, 503, 200]);
  expect(events.map((e) => e.type)).toEqual(['listed']);
});

test('while the API fails, changes the watch missed are taken from the relist', async () => {
  const { informer, events, delays } = startInformer('Pod');
  await until(informer, (o) => o.size === 2);
  // The watch is refused and every list fails: the informer keeps retrying, and sees nothing.
  standIn.failNext({ verb: 'list', resource: 'pods', status: 500, times: 1_000 });
  standIn.failNext({ verb: 'watch', resource: 'pods', status: 500 });
  standIn.dropWatches();
  await standIn.waitFor(() => podLists().filter((r) => r.status === 500).length >= 2);
  await core.deleteNamespacedPod({ namespace: 'shop', name: 'web-0' });
  standIn.seed([pod('shop', 'db-4', { app: 'db' })]);
  expect(informer.objects.has('shop/web-0')).toBe(true);

  standIn.clearFaults();
  const objects = await until(informer, (o) => o.has('shop/db-4'));
  expect([...objects.keys()].sort()).toEqual(['shop/db-0', 'shop/db-4']);
  expect(events.filter((e) => e.type === 'deleted' || e.type === 'added')).toEqual([]);
  expect(delays.length).toBeGreaterThanOrEqual(3);
  expect(delays.slice(0, 3)).toEqual([10, 20, 25]);
  expect(Math.max(...delays)).toBe(25);
});

test('lists and watches only what the selectors select', async () => {
  const { informer } = startInformer('Pod', { selectors: { labelSelector: 'app=db' } });
  expect([...(await until(informer, (o) => o.size > 0)).keys()]).toEqual(['shop/db-0']);
  await core.createNamespacedPod({ namespace: 'shop', body: pod('shop', 'web-1', { app: 'web' }) });
  await core.createNamespacedPod({ namespace: 'shop', body: pod('shop', 'db-5', { app: 'db' }) });
  const objects = await until(informer, (o) => o.has('shop/db-5'));
  expect([...objects.keys()].sort()).toEqual(['shop/db-0', 'shop/db-5']);
  const watch = standIn.requests.find((r) => r.path === '/api/v1/pods' && r.verb === 'watch');
  expect(watch?.query).toMatchObject({ labelSelector: 'app=db' });
  expect(podLists()[0]?.query).toMatchObject({ labelSelector: 'app=db' });
});

test('skips an optional kind the API does not serve, and fails over a required one', async () => {
  const optional = startInformer('Deployment', { required: false });
  await until(optional.informer, (o) => o.size === 0);
  expect(optional.informer.skipped).toBe(true);
  expect(optional.events).toEqual([{ type: 'skipped', status: 404 }]);

  const required = startInformer('Deployment');
  await standIn.waitFor(
    () => standIn.requests.filter((r) => r.path === '/apis/apps/v1/deployments').length >= 4,
  );
  expect(required.informer.synced).toBe(false);
  expect(required.delays.slice(0, 2)).toEqual([10, 20]);
});

test('stop ends the watch, and cancels a pending retry', async () => {
  const stopped = startInformer('Pod');
  const running = startInformer('Pod');
  await until(stopped.informer, (o) => o.size === 2);
  await until(running.informer, (o) => o.size === 2);
  stopped.informer.stop();
  await core.createNamespacedPod({ namespace: 'shop', body: pod('shop', 'db-6', { app: 'db' }) });
  // Both watches get the event from the same store write: once the running informer has it, a
  // stopped one that still watched would have it too.
  await until(running.informer, (o) => o.has('shop/db-6'));
  expect(stopped.informer.objects.has('shop/db-6')).toBe(false);

  // A required kind the API does not serve keeps failing; stop it while it waits for its retry.
  let cancelled = false;
  let retryScheduled: () => void = () => undefined;
  const scheduled = new Promise<void>((resolve) => (retryScheduled = resolve));
  const retrying = startInformer('Deployment', {
    schedule: () => {
      retryScheduled();
      return () => {
        cancelled = true;
      };
    },
  });
  await scheduled;
  retrying.informer.stop();
  expect(cancelled).toBe(true);
});
