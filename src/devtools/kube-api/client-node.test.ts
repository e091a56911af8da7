/**
 * The stand-in driven by @kubernetes/client-node's own API objects, the way netpol's workers will use
 * it: NetworkingV1Api for CRUD, KubernetesObjectApi for server-side apply, Watch and ListWatch.
 */
import type * as ClientNode from '@kubernetes/client-node';
import { loadClientNode } from './client-node';
import { startKubeApiStandIn, type KubeApiStandIn } from './index';

let k8s: typeof ClientNode;
let standIn: KubeApiStandIn;
let kc: ClientNode.KubeConfig;
let net: ClientNode.NetworkingV1Api;
let objects: ClientNode.KubernetesObjectApi;

const namespace = (name: string): object => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

function policy(name: string, port = 8080, ns = 'backend'): ClientNode.V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'netpol' } },
    spec: {
      podSelector: { matchLabels: { app: 'api' } },
      ingress: [
        {
          _from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } } }],
          ports: [{ port }],
        },
      ],
    },
  };
}

/** The Status an ApiException carries (client-node keeps the body as the response text). */
function statusOf(error: unknown): { code: number; status: Record<string, unknown> } {
  if (!(error instanceof k8s.ApiException)) throw error;
  const body = error.body as unknown;
  const status = (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>;
  return { code: error.code, status };
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return statusOf(error);
  }
  throw new Error('expected the request to fail');
}

function apply<T extends ClientNode.KubernetesObject>(body: T, manager: string, force?: boolean): Promise<T> {
  return objects.patch(body, undefined, undefined, manager, force, k8s.PatchStrategy.ServerSideApply);
}

beforeAll(() => {
  k8s = loadClientNode();
});

beforeEach(async () => {
  standIn = await startKubeApiStandIn({
    initial: { namespaces: [namespace('backend'), namespace('frontend')] },
  });
  kc = standIn.kubeConfig();
  net = kc.makeApiClient(k8s.NetworkingV1Api);
  objects = k8s.KubernetesObjectApi.makeApiClient(kc);
});

afterEach(async () => {
  await standIn.close();
});

describe('CRUD through NetworkingV1Api', () => {
  test('create, get, list, delete', async () => {
    const created = await net.createNamespacedNetworkPolicy({
      namespace: 'backend',
      body: policy('allow-frontend'),
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    // The API server's defaults.
    expect(created.spec?.policyTypes).toEqual(['Ingress']);
    expect(created.spec?.ingress?.[0]?.ports?.[0]?.protocol).toBe('TCP');

    const read = await net.readNamespacedNetworkPolicy({ name: 'allow-frontend', namespace: 'backend' });
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    expect(read.spec?.ingress?.[0]?._from?.[0]?.namespaceSelector?.matchLabels).toEqual({
      'kubernetes.io/metadata.name': 'frontend',
    });

    const list = await net.listNetworkPolicyForAllNamespaces();
    expect(list.items.map((p) => p.metadata?.name)).toEqual(['allow-frontend']);
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
      Number(created.metadata?.resourceVersion),
    );

    const again = await failure(
      net.createNamespacedNetworkPolicy({ namespace: 'backend', body: policy('allow-frontend') }),
    );
    expect(again.code).toBe(409);
    expect(again.status.reason).toBe('AlreadyExists');
    expect(again.status.message).toBe('networkpolicies.networking.k8s.io "allow-frontend" already exists');

    const deleted = await net.deleteNamespacedNetworkPolicy({ name: 'allow-frontend', namespace: 'backend' });
    expect(deleted.status).toBe('Success');
    const gone = await failure(
      net.readNamespacedNetworkPolicy({ name: 'allow-frontend', namespace: 'backend' }),
    );
    expect(gone.code).toBe(404);
    expect(gone.status.message).toBe('networkpolicies.networking.k8s.io "allow-frontend" not found');
  });

  test('namespaces carry the kubernetes.io/metadata.name label', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const created = await core.createNamespace({ body: { metadata: { name: 'payments' } } });
    expect(created.metadata?.labels).toEqual({ 'kubernetes.io/metadata.name': 'payments' });
    expect(created.status?.phase).toBe('Active');
  });

  test('a create in an unknown namespace is a 404 about the namespace', async () => {
    const err = await failure(
      net.createNamespacedNetworkPolicy({ namespace: 'nope', body: policy('x', 80, 'nope') }),
    );
    expect(err.code).toBe(404);
    expect(err.status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      message: 'namespaces "nope" not found',
      details: { name: 'nope', kind: 'namespaces' },
    });
  });

  test('a PUT with a stale resourceVersion is a 409 with the real message', async () => {
    const created = await net.createNamespacedNetworkPolicy({ namespace: 'backend', body: policy('p') });
    const changed = { ...created, spec: { ...created.spec!, policyTypes: ['Ingress', 'Egress'] } };
    const updated = await net.replaceNamespacedNetworkPolicy({
      name: 'p',
      namespace: 'backend',
      body: changed,
    });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
    expect(updated.metadata?.generation).toBe(2);

    const stale = await failure(
      net.replaceNamespacedNetworkPolicy({ name: 'p', namespace: 'backend', body: created }),
    );
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe('Conflict');
    expect(stale.status.message).toBe(
      'Operation cannot be fulfilled on networkpolicies.networking.k8s.io "p": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  test('an invalid policy is a 422 whose message client-node surfaces', async () => {
    const bad = policy('bad', 70000);
    const err = await failure(net.createNamespacedNetworkPolicy({ namespace: 'backend', body: bad }));
    expect(err.code).toBe(422);
    expect(err.status.reason).toBe('Invalid');
    expect(err.status.message).toBe(
      'NetworkPolicy.networking.k8s.io "bad" is invalid: spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
    expect(err.status.details).toEqual({
      name: 'bad',
      group: 'networking.k8s.io',
      kind: 'NetworkPolicy',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 70000: must be between 1 and 65535, inclusive',
          field: 'spec.ingress[0].ports[0].port',
        },
      ],
    });
    // The message is in the exception client-node throws, so a worker's log line carries it.
    let thrown: unknown;
    await net
      .createNamespacedNetworkPolicy({ namespace: 'backend', body: bad })
      .catch((e: unknown) => (thrown = e));
    expect(String((thrown as Error).message)).toContain('must be between 1 and 65535, inclusive');
  });

  test('an injected 403 reads like RBAC', async () => {
    standIn.failNext({ verb: 'patch', resource: 'networkpolicies', status: 403 });
    const err = await failure(apply(policy('x'), 'netpol'));
    expect(err.code).toBe(403);
    expect(err.status.message).toBe(
      'networkpolicies.networking.k8s.io "x" is forbidden: User "system:serviceaccount:netpol:worker" cannot patch resource "networkpolicies" in API group "networking.k8s.io" in the namespace "backend"',
    );
    // Only the next matching request failed.
    await expect(apply(policy('x'), 'netpol')).resolves.toBeDefined();
  });

  test('a wrong token is a 401', async () => {
    const wrong = new k8s.KubeConfig();
    wrong.loadFromOptions({
      clusters: [{ name: 'c', server: standIn.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'not-the-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const err = await failure(wrong.makeApiClient(k8s.NetworkingV1Api).listNetworkPolicyForAllNamespaces());
    expect(err.code).toBe(401);
  });
});

describe('server-side apply through KubernetesObjectApi', () => {
  test('creates, then a repeated apply changes nothing', async () => {
    const first = await apply(policy('allow-frontend'), 'netpol');
    expect(first.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([
      ['netpol', 'Apply'],
    ]);
    const second = await apply(policy('allow-frontend'), 'netpol');
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(second.metadata?.generation).toBe(1);
    const request = standIn.requests.find((r) => r.verb === 'patch');
    expect(request?.contentType).toBe('application/apply-patch+yaml');
    expect(request?.query).toMatchObject({ fieldManager: 'netpol' });
  });

  test('a rule removed from the applied object disappears', async () => {
    const withEgress = policy('p');
    withEgress.spec!.egress = [{ ports: [{ port: 53, protocol: 'UDP' }] }];
    withEgress.spec!.policyTypes = ['Ingress', 'Egress'];
    await apply(withEgress, 'netpol');
    const narrower = policy('p');
    narrower.spec!.policyTypes = ['Ingress'];
    const second = await apply(narrower, 'netpol');
    expect(second.spec?.egress).toBeUndefined();
    expect(second.spec?.policyTypes).toEqual(['Ingress']);
    expect(second.metadata?.generation).toBe(2);
  });

  test('a defaulted policyTypes outlives the egress rules that caused it, as on a real server', async () => {
    const withEgress = policy('p');
    withEgress.spec!.egress = [{ ports: [{ port: 53, protocol: 'UDP' }] }];
    const first = await apply(withEgress, 'netpol');
    expect(first.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    // Nobody owns the defaulted field, so dropping egress leaves the policy isolating egress.
    const second = await apply(policy('p'), 'netpol');
    expect(second.spec?.egress).toBeUndefined();
    expect(second.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  test("another manager's change conflicts, and force takes the field", async () => {
    await apply(policy('p', 8080), 'netpol');
    const err = await failure(apply(policy('p', 9090), 'kubectl'));
    expect(err.code).toBe(409);
    expect(err.status.reason).toBe('Conflict');
    expect(err.status.message).toBe('Apply failed with 1 conflict: conflict with "netpol": .spec.ingress');
    expect(err.status.details).toEqual({
      causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "netpol"', field: '.spec.ingress' }],
    });

    const forced = await apply(policy('p', 9090), 'kubectl', true);
    expect(forced.spec?.ingress?.[0]?.ports?.[0]?.port).toBe(9090);
    const owners = Object.fromEntries(
      (forced.metadata?.managedFields ?? []).map((m) => [
        m.manager,
        Object.keys((m.fieldsV1 as { 'f:spec': object })['f:spec']),
      ]),
    );
    expect(owners.kubectl).toContain('f:ingress');
    expect(owners.netpol).not.toContain('f:ingress');
  });

  test('objects seeded by someone else conflict; objects seeded as the applier do not', async () => {
    standIn.seed([policy('theirs')]);
    const err = await failure(apply(policy('theirs', 9090), 'netpol'));
    expect(err.status.message).toMatch(
      /^Apply failed with 1 conflict: conflict with "netpol-stand-in" using networking.k8s.io\/v1 at .*: \.spec\.ingress$/,
    );
    standIn.seed([policy('ours')], { manager: 'netpol', apply: true });
    const ours = await apply(policy('ours', 9090), 'netpol');
    expect(ours.spec?.ingress?.[0]?.ports?.[0]?.port).toBe(9090);
  });

  test('dryRun=All validates and answers without storing', async () => {
    const dry = await objects.patch(
      policy('p'),
      undefined,
      'All',
      'netpol',
      undefined,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect(dry.metadata?.name).toBe('p');
    expect(standIn.store.get('networkpolicies', 'backend', 'p')).toBeUndefined();
  });

  test('a merge patch updates and the updater owns what it changed', async () => {
    await apply(policy('p'), 'netpol');
    const patched = await objects.patch(
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'p', namespace: 'backend' },
        spec: { policyTypes: ['Ingress', 'Egress'] },
      } as ClientNode.KubernetesObject,
      undefined,
      undefined,
      'editor',
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    expect((patched as ClientNode.V1NetworkPolicy).spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    // Applying without policyTypes does not touch the editor's field; applying it conflicts.
    await expect(apply(policy('p'), 'netpol')).resolves.toBeDefined();
    const wanted = policy('p');
    wanted.spec!.policyTypes = ['Ingress'];
    const err = await failure(apply(wanted, 'netpol'));
    expect(err.status.message).toMatch(
      /^Apply failed with 1 conflict: conflict with "editor" using networking.k8s.io\/v1 at .*: \.spec\.policyTypes$/,
    );
  });
});

describe('watch', () => {
  test('streams ADDED, MODIFIED, DELETED in order from a resourceVersion', async () => {
    const list = await net.listNamespacedNetworkPolicy({ namespace: 'backend' });
    const events: [string, string | undefined][] = [];
    const done = new Promise<void>((resolve) => {
      void new k8s.Watch(kc)
        .watch(
          '/apis/networking.k8s.io/v1/namespaces/backend/networkpolicies',
          { resourceVersion: list.metadata?.resourceVersion },
          (type: string, obj: ClientNode.V1NetworkPolicy) => {
            events.push([type, obj.metadata?.name]);
            if (type === 'DELETED') resolve();
          },
          () => undefined,
        )
        .then((controller) => {
          void done.then(() => controller.abort());
        });
    });
    await standIn.waitFor(() => standIn.requests.some((r) => r.verb === 'watch' && r.status === 200));
    await net.createNamespacedNetworkPolicy({ namespace: 'backend', body: policy('p') });
    await apply(policy('p', 9090), 'netpol', true);
    await net.createNamespacedNetworkPolicy({
      namespace: 'frontend',
      body: policy('elsewhere', 80, 'frontend'),
    });
    await net.deleteNamespacedNetworkPolicy({ name: 'p', namespace: 'backend' });
    await done;
    expect(events).toEqual([
      ['ADDED', 'p'],
      ['MODIFIED', 'p'],
      ['DELETED', 'p'],
    ]);
  });

  test('a compacted resourceVersion gets an ERROR event with 410', async () => {
    await net.createNamespacedNetworkPolicy({ namespace: 'backend', body: policy('p') });
    const list = await net.listNamespacedNetworkPolicy({ namespace: 'backend' });
    await net.deleteNamespacedNetworkPolicy({ name: 'p', namespace: 'backend' });
    standIn.compact();
    const result = await new Promise<{ type: string; obj: Record<string, unknown>; err: unknown }>(
      (resolve) => {
        let seen: { type: string; obj: Record<string, unknown> } | undefined;
        void new k8s.Watch(kc).watch(
          '/apis/networking.k8s.io/v1/namespaces/backend/networkpolicies',
          { resourceVersion: list.metadata?.resourceVersion },
          (type: string, obj: Record<string, unknown>) => {
            seen = { type, obj };
          },
          (err: unknown) => resolve({ type: seen?.type ?? '', obj: seen?.obj ?? {}, err }),
        );
      },
    );
    expect(result.type).toBe('ERROR');
    expect(result.obj).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired', status: 'Failure' });
    expect(String(result.obj.message)).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  test('a ListWatch lists, follows changes and relists after 410', async () => {
    await net.createNamespacedNetworkPolicy({ namespace: 'backend', body: policy('first') });
    const path = '/apis/networking.k8s.io/v1/networkpolicies';
    const informer = new k8s.ListWatch<ClientNode.V1NetworkPolicy>(
      path,
      new k8s.Watch(kc),
      () => net.listNetworkPolicyForAllNamespaces(),
      false,
    );
    const added: string[] = [];
    informer.on('add', (obj) => added.push(obj.metadata?.name ?? ''));
    const count = (verb: string): number => standIn.requests.filter((r) => r.verb === verb).length;
    await informer.start();
    try {
      expect(added).toEqual(['first']);
      await net.createNamespacedNetworkPolicy({ namespace: 'backend', body: policy('second') });
      await waitUntil(() => added.includes('second'));
      // The watch ends; before the informer is back, a change happens and the history is compacted,
      // so its resume from the last version it saw is answered with 410 and it lists again.
      standIn.dropWatches();
      standIn.seed([policy('third', 80, 'frontend')]);
      standIn.compact();
      await waitUntil(() => added.includes('third'));
      expect(count('list')).toBe(2);
      expect(informer.list().map((p) => p.metadata?.name)).toEqual(['first', 'second', 'third']);
    } finally {
      await informer.stop();
    }
  });
});

/** Poll a client-side condition on the event loop (no fixed sleeps): resolves as soon as it holds. */
async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
