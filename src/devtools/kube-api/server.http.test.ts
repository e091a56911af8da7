/**
 * The stand-in at the wire: raw HTTP requests and the exact answers a client sees (Status bodies,
 * headers, watch lines). Needs nothing but Node's fetch and http, so it runs wherever the server does.
 */
import { request } from 'node:http';
import { startKubeApiStandIn, type KubeApiStandIn } from './index';

let standIn: KubeApiStandIn;

const NP = '/apis/networking.k8s.io/v1';

function policy(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'backend', labels: { team: 'core' } },
    spec: { podSelector: { matchLabels: { app: 'api' } }, ...extra },
  };
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

async function call(
  method: string,
  path: string,
  options: { body?: unknown; contentType?: string; token?: string | null; accept?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token !== null) headers.Authorization = `Bearer ${options.token ?? standIn.token}`;
  if (options.accept !== undefined) headers.Accept = options.accept;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] = options.contentType ?? 'application/json';
  }
  const response = await fetch(`${standIn.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // plain text answers (404 page not found, healthz)
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Open a watch and collect its lines; `until` decides when enough arrived. */
function watchLines(
  path: string,
  until: (lines: Record<string, unknown>[]) => boolean,
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${standIn.url}${path}`);
    const req = request(url, { headers: { Authorization: `Bearer ${standIn.token}` } }, (res) => {
      const lines: Record<string, unknown>[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          lines.push(JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>);
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
        }
        if (until(lines)) {
          req.destroy();
          resolve(lines);
        }
      });
      res.on('end', () => resolve(lines));
    });
    req.on('error', (error) => {
      if (!req.destroyed) reject(error);
    });
    req.end();
  });
}

beforeEach(async () => {
  standIn = await startKubeApiStandIn({
    initial: {
      namespaces: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'backend', labels: { tier: 'api' } } },
      ],
      pods: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'web-1', namespace: 'frontend', labels: { app: 'web' } },
          spec: {
            containers: [{ name: 'web', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }] }],
          },
          status: { phase: 'Running', podIP: '10.244.1.5' },
        },
      ],
    },
  });
});

afterEach(async () => {
  await standIn.close();
});

describe('authentication and discovery', () => {
  test('no token or a wrong one is a 401 Status', async () => {
    const expected = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    };
    for (const token of [null, 'wrong']) {
      const answer = await call('GET', `${NP}/networkpolicies`, { token });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(expected);
    }
  });

  test('/version and /healthz answer without a token', async () => {
    expect((await call('GET', '/version', { token: null })).body).toMatchObject({ major: '1', minor: '31' });
    expect((await call('GET', '/healthz', { token: null })).text).toBe('ok');
  });

  test('discovery names the resources with their scope', async () => {
    const core = await call('GET', '/api/v1');
    expect(core.body.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'namespaces', namespaced: false, kind: 'Namespace' }),
        expect.objectContaining({ name: 'pods', namespaced: true, kind: 'Pod' }),
      ]),
    );
    const networking = await call('GET', NP);
    expect(networking.body).toMatchObject({
      kind: 'APIResourceList',
      groupVersion: 'networking.k8s.io/v1',
      resources: [
        expect.objectContaining({ name: 'networkpolicies', namespaced: true, shortNames: ['netpol'] }),
      ],
    });
    expect((await call('GET', '/apis')).body.groups).toEqual([
      expect.objectContaining({
        name: 'networking.k8s.io',
        preferredVersion: { groupVersion: 'networking.k8s.io/v1', version: 'v1' },
      }),
    ]);
  });

  test('unknown paths answer like the real server', async () => {
    const unknownResource = await call('GET', '/api/v1/namespaces/backend/services');
    expect(unknownResource.status).toBe(404);
    expect(unknownResource.body).toMatchObject({
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
    const unknownGroup = await call('GET', '/apis/apps/v1/deployments');
    expect(unknownGroup.status).toBe(404);
    expect(unknownGroup.text).toBe('404 page not found\n');
  });
});

describe('objects', () => {
  test('initial pods get their namespace created, with the name label', async () => {
    const ns = await call('GET', '/api/v1/namespaces/frontend');
    expect(ns.body).toMatchObject({
      kind: 'Namespace',
      metadata: { name: 'frontend', labels: { 'kubernetes.io/metadata.name': 'frontend' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    const backend = await call('GET', '/api/v1/namespaces/backend');
    expect((backend.body.metadata as Record<string, unknown>).labels).toEqual({
      tier: 'api',
      'kubernetes.io/metadata.name': 'backend',
    });
    const pods = await call('GET', '/api/v1/pods');
    expect(pods.body).toMatchObject({
      kind: 'PodList',
      apiVersion: 'v1',
      items: [{ status: { podIP: '10.244.1.5' } }],
    });
  });

  test('lists carry the resourceVersion and items without kind, and filter by selectors', async () => {
    await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    await call('POST', `${NP}/namespaces/backend/networkpolicies`, {
      body: { ...policy('b'), metadata: { name: 'b', labels: { team: 'edge' } } },
    });
    const all = await call('GET', `${NP}/networkpolicies`);
    expect(all.body.kind).toBe('NetworkPolicyList');
    expect((all.body.metadata as Record<string, unknown>).resourceVersion).toBe(
      standIn.store.resourceVersion(),
    );
    const items = all.body.items as Record<string, unknown>[];
    expect(items.map((i) => i.kind)).toEqual([undefined, undefined]);
    const names = async (query: string): Promise<unknown[]> =>
      (
        (await call('GET', `${NP}/networkpolicies?${query}`)).body.items as { metadata: { name: string } }[]
      ).map((i) => i.metadata.name);
    expect(await names('labelSelector=team%3Dedge')).toEqual(['b']);
    expect(await names('labelSelector=team%20in%20(core,other)')).toEqual(['a']);
    expect(await names('labelSelector=!team')).toEqual([]);
    expect(await names('fieldSelector=metadata.name%3Da')).toEqual(['a']);
    expect(await names('fieldSelector=metadata.namespace!%3Dbackend')).toEqual([]);
    const unsupported = await call('GET', `${NP}/networkpolicies?fieldSelector=spec.podSelector%3Dx`);
    expect(unsupported.status).toBe(400);
    expect(unsupported.body).toMatchObject({
      reason: 'BadRequest',
      message: 'field label not supported: spec.podSelector',
    });
  });

  test('a namespace in the body that differs from the URL is a 400', async () => {
    const answer = await call('POST', `${NP}/namespaces/frontend/networkpolicies`, { body: policy('a') });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      reason: 'BadRequest',
      message: 'the namespace of the provided object does not match the namespace sent on the request',
    });
  });

  test('unknown fields are dropped with a Warning header; wrong types are a 400', async () => {
    const created = await call('POST', `${NP}/namespaces/backend/networkpolicies`, {
      body: policy('a', { ingres: [] }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('warning')).toBe('299 - "unknown field \\"spec.ingres\\""');
    expect(created.body.spec).toEqual({
      podSelector: { matchLabels: { app: 'api' } },
      policyTypes: ['Ingress'],
    });
    const wrong = await call('POST', `${NP}/namespaces/backend/networkpolicies`, {
      body: policy('b', { policyTypes: 'Ingress' }),
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe(
      'NetworkPolicy in version "v1" cannot be handled as a NetworkPolicy: json: cannot unmarshal string into Go struct field NetworkPolicySpec.spec.policyTypes of type []v1.PolicyType',
    );
  });

  test('fieldValidation=Strict refuses unknown fields, as kubectl asks once OpenAPI v3 lists the parameter', async () => {
    const index = await call('GET', '/openapi/v3');
    const url = (index.body.paths as Record<string, { serverRelativeURL: string }>)[
      'apis/networking.k8s.io/v1'
    ];
    const doc = await call('GET', url?.serverRelativeURL ?? '');
    const patch = (doc.body.paths as Record<string, { patch: Record<string, unknown> }>)[
      '/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies/{name}'
    ]?.patch;
    expect(patch?.['x-kubernetes-group-version-kind']).toEqual({
      group: 'networking.k8s.io',
      version: 'v1',
      kind: 'NetworkPolicy',
    });
    expect(patch?.parameters).toContainEqual(
      expect.objectContaining({ name: 'fieldValidation', in: 'query' }),
    );
    const strict = await call('POST', `${NP}/namespaces/backend/networkpolicies?fieldValidation=Strict`, {
      body: policy('a', { ingres: [] }),
    });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'NetworkPolicy in version "v1" cannot be handled as a NetworkPolicy: strict decoding error: unknown field "spec.ingres"',
    );
    const ignored = await call('POST', `${NP}/namespaces/backend/networkpolicies?fieldValidation=Ignore`, {
      body: policy('a', { ingres: [] }),
    });
    expect(ignored.status).toBe(201);
    expect(ignored.headers.get('warning')).toBeNull();
  });

  test('a repeated PUT of the same object keeps the resourceVersion', async () => {
    const created = await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    const again = await call('PUT', `${NP}/namespaces/backend/networkpolicies/a`, { body: created.body });
    expect(again.status).toBe(200);
    expect((again.body.metadata as Record<string, unknown>).resourceVersion).toBe(
      (created.body.metadata as Record<string, unknown>).resourceVersion,
    );
    const missing = await call('PUT', `${NP}/namespaces/backend/networkpolicies/zzz`, {
      body: policy('zzz'),
    });
    expect(missing.status).toBe(404);
  });

  test('delete answers a Status; a stale precondition is a 409; an absent object a 404', async () => {
    const created = await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    const meta = created.body.metadata as Record<string, unknown>;
    const stale = await call('DELETE', `${NP}/namespaces/backend/networkpolicies/a`, {
      body: { preconditions: { resourceVersion: '1' } },
    });
    expect(stale.status).toBe(409);
    const deleted = await call('DELETE', `${NP}/namespaces/backend/networkpolicies/a`);
    expect(deleted.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'a', group: 'networking.k8s.io', kind: 'networkpolicies', uid: meta.uid },
    });
    const again = await call('DELETE', `${NP}/namespaces/backend/networkpolicies/a`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'networkpolicies.networking.k8s.io "a" not found',
      reason: 'NotFound',
      details: { name: 'a', group: 'networking.k8s.io', kind: 'networkpolicies' },
      code: 404,
    });
  });

  test('deleting a namespace deletes what is in it', async () => {
    await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    const deleted = await call('DELETE', '/api/v1/namespaces/backend');
    expect(deleted.body).toMatchObject({ kind: 'Namespace', status: { phase: 'Terminating' } });
    expect(standIn.store.list('networkpolicies')).toEqual([]);
    expect((await call('GET', '/api/v1/namespaces/backend')).status).toBe(404);
  });

  test('kubectl get receives a server-side Table', async () => {
    await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    const table = await call('GET', `${NP}/networkpolicies`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    expect(table.body).toMatchObject({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      columnDefinitions: [{ name: 'Name' }, { name: 'Pod-Selector' }, { name: 'Age' }],
      rows: [
        {
          cells: ['a', 'app=api', expect.stringMatching(/^\d+s$/)],
          object: { kind: 'PartialObjectMetadata', metadata: { name: 'a', namespace: 'backend' } },
        },
      ],
    });
  });
});

describe('patches', () => {
  test('apply without fieldManager is refused like the real server', async () => {
    const answer = await call('PATCH', `${NP}/namespaces/backend/networkpolicies/a`, {
      body: policy('a'),
      contentType: 'application/apply-patch+yaml',
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      reason: 'Invalid',
      message:
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      details: { group: 'meta.k8s.io', kind: 'PatchOptions' },
    });
  });

  test('apply accepts YAML bodies', async () => {
    const yaml = [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata:',
      '  name: a',
      'spec:',
      '  podSelector: {}',
      '  policyTypes: [Egress]',
      '',
    ].join('\n');
    const answer = await call('PATCH', `${NP}/namespaces/backend/networkpolicies/a?fieldManager=netpol`, {
      body: yaml,
      contentType: 'application/apply-patch+yaml',
    });
    expect(answer.status).toBe(201);
    expect(answer.body.spec).toEqual({ podSelector: {}, policyTypes: ['Egress'] });
  });

  test('force is refused on a non-apply patch, other media types get a 415', async () => {
    await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    const forced = await call('PATCH', `${NP}/namespaces/backend/networkpolicies/a?force=true`, {
      body: { spec: {} },
      contentType: 'application/merge-patch+json',
    });
    expect(forced.status).toBe(422);
    expect(forced.body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    const unknown = await call('PATCH', `${NP}/namespaces/backend/networkpolicies/a`, {
      body: {},
      contentType: 'application/json',
    });
    expect(unknown.status).toBe(415);
  });

  test('JSON patch and merge patch edit the stored object', async () => {
    await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    const json = await call('PATCH', `${NP}/namespaces/backend/networkpolicies/a`, {
      body: [{ op: 'add', path: '/spec/ingress', value: [{ ports: [{ port: 443 }] }] }],
      contentType: 'application/json-patch+json',
    });
    expect(json.body.spec).toMatchObject({ ingress: [{ ports: [{ protocol: 'TCP', port: 443 }] }] });
    const merge = await call('PATCH', `${NP}/namespaces/backend/networkpolicies/a`, {
      body: { metadata: { labels: { team: null } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect((merge.body.metadata as Record<string, unknown>).labels).toBeUndefined();
    const invalidPatch = await call('PATCH', `${NP}/namespaces/backend/networkpolicies/a`, {
      body: { spec: { policyTypes: ['Sideways'] } },
      contentType: 'application/merge-patch+json',
    });
    expect(invalidPatch.status).toBe(422);
  });
});

describe('watch over the wire', () => {
  test('resourceVersion 0 starts with the current objects; selectors turn moves into ADDED/DELETED', async () => {
    await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    const lines = watchLines(
      `${NP}/namespaces/backend/networkpolicies?watch=1&resourceVersion=0&labelSelector=team%3Dcore`,
      (l) => l.length === 3,
    );
    await standIn.waitFor(() => standIn.requests.some((r) => r.verb === 'watch' && r.status === 200));
    await call('PATCH', `${NP}/namespaces/backend/networkpolicies/a`, {
      body: { metadata: { labels: { team: 'edge' } } },
      contentType: 'application/merge-patch+json',
    });
    await call('PATCH', `${NP}/namespaces/backend/networkpolicies/a`, {
      body: { metadata: { labels: { team: 'core' } } },
      contentType: 'application/merge-patch+json',
    });
    expect((await lines).map((l) => l.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
  });

  test('a watch resumes from history, and gets 410 once that history is gone', async () => {
    standIn = await restart({ watchHistory: 2 });
    const start = standIn.store.resourceVersion();
    for (const name of ['a', 'b'])
      await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy(name) });
    const resumed = await watchLines(
      `${NP}/networkpolicies?watch=true&resourceVersion=${start}`,
      (l) => l.length === 2,
    );
    expect(resumed.map((l) => l.type)).toEqual(['ADDED', 'ADDED']);
    await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('c') });
    const expired = await watchLines(
      `${NP}/networkpolicies?watch=true&resourceVersion=${start}`,
      () => false,
    );
    expect(expired).toEqual([
      {
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/),
          reason: 'Expired',
          code: 410,
        },
      },
    ]);
  });

  test('timeoutSeconds ends the stream', async () => {
    const lines = await watchLines(`${NP}/networkpolicies?watch=1&timeoutSeconds=1`, () => false);
    expect(lines).toEqual([]);
  });
});

describe('test hooks', () => {
  test('failNext answers matching requests only, as many times as asked', async () => {
    standIn.failNext({ verb: 'create', resource: 'networkpolicies', status: 503, times: 2 });
    standIn.failNext({ verb: 'list', status: 429 });
    for (let i = 0; i < 2; i++) {
      const answer = await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
    }
    expect(
      (await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') })).status,
    ).toBe(201);
    const limited = await call('GET', '/api/v1/pods');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await call('GET', '/api/v1/pods')).status).toBe(200);
  });

  test('injected 409 and 422 carry real messages; a custom message replaces the default', async () => {
    standIn.failNext({ verb: 'update', status: 409 });
    standIn.failNext({
      verb: 'create',
      status: 422,
      message: 'NetworkPolicy.networking.k8s.io "a" is invalid: spec: Forbidden: no',
    });
    const created = await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    expect(created.body).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'NetworkPolicy.networking.k8s.io "a" is invalid: spec: Forbidden: no',
    });
    await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    const updated = await call('PUT', `${NP}/namespaces/backend/networkpolicies/a`, { body: policy('a') });
    expect(updated.body.message).toBe(
      'Operation cannot be fulfilled on networkpolicies.networking.k8s.io "a": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  test('requests are recorded with their verb, body and answer', async () => {
    await call('POST', `${NP}/namespaces/backend/networkpolicies?fieldManager=netpol`, { body: policy('a') });
    expect(standIn.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: `${NP}/namespaces/backend/networkpolicies`,
      query: { fieldManager: 'netpol' },
      contentType: 'application/json',
      verb: 'create',
      resource: 'networkpolicies',
      namespace: 'backend',
      body: policy('a'),
      status: 201,
    });
  });

  test('waitFor resolves on the change it waits for and rejects on timeout', async () => {
    const seen = standIn.waitFor((store) => store.get('networkpolicies', 'backend', 'a'));
    await call('POST', `${NP}/namespaces/backend/networkpolicies`, { body: policy('a') });
    await expect(seen).resolves.toMatchObject({ metadata: { name: 'a' } });
    await expect(standIn.waitFor(() => false, 20)).rejects.toThrow('waitFor: condition not met within 20 ms');
  });

  test('writeKubeconfig writes a kubeconfig for the stand-in', async () => {
    const { mkdtemp, readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { parse } = await import('yaml');
    const dir = await mkdtemp(join(tmpdir(), 'kube-stand-in-'));
    await standIn.writeKubeconfig(join(dir, 'config'));
    const config = parse(await readFile(join(dir, 'config'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      kind: 'Config',
      'current-context': 'netpol-stand-in',
      clusters: [{ cluster: { server: standIn.url, 'insecure-skip-tls-verify': true } }],
      users: [{ user: { token: standIn.token } }],
    });
  });
});

async function restart(options: Parameters<typeof startKubeApiStandIn>[0]): Promise<KubeApiStandIn> {
  await standIn.close();
  return startKubeApiStandIn({
    ...options,
    initial: { namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'backend' } }] },
  });
}
