/**
 * readClusterState over kind sources that answer as an API server can: pages, an optional kind RBAC
 * refuses or the API does not serve (skipped, and said), a required kind refused (a KindReadError
 * naming the kind and its resource), an object the state reader rejects (left out, and said). The
 * sources are injected, so no server is needed; test/cli/live-cluster.test.ts reads the stand-in.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { KindReadError, readClusterState } from './cluster-reader';
import type { KindName } from './kinds';
import type { KindSource, ListRequest } from './kube-objects';

type Answer = (request: ListRequest) => { items: unknown[]; metadata?: { _continue?: string } };

const MODELS: Record<KindName, [string, string]> = {
  Namespace: ['V1Namespace', '/api/v1/namespaces'],
  Pod: ['V1Pod', '/api/v1/pods'],
  NetworkPolicy: ['V1NetworkPolicy', '/apis/networking.k8s.io/v1/networkpolicies'],
  Service: ['V1Service', '/api/v1/services'],
  Deployment: ['V1Deployment', '/apis/apps/v1/deployments'],
  StatefulSet: ['V1StatefulSet', '/apis/apps/v1/statefulsets'],
  DaemonSet: ['V1DaemonSet', '/apis/apps/v1/daemonsets'],
};

/** client-node's ApiException shape: an HTTP status and the Status body as text. */
const status = (code: number, reason: string) => ({
  code,
  body: JSON.stringify({ kind: 'Status', status: 'Failure', reason, code, message: `${reason} (${code})` }),
});

function sources(answers: Partial<Record<KindName, Answer | ReturnType<typeof status>>>) {
  const requests: { kind: KindName; request: ListRequest }[] = [];
  const all = Object.fromEntries(
    (Object.keys(MODELS) as KindName[]).map((kind) => {
      const [model, path] = MODELS[kind];
      const source: KindSource = {
        kind,
        model,
        path,
        list: (request) => {
          requests.push({ kind, request });
          const answer = answers[kind] ?? (() => ({ items: [] }));
          return typeof answer === 'function' ? Promise.resolve(answer(request)) : Promise.reject(answer);
        },
      };
      return [kind, source];
    }),
  ) as Record<KindName, KindSource>;
  return { all, requests };
}

const ns = (name: string) => ({ metadata: { name } });
const pod = (namespace: string, name: string) => ({
  metadata: { namespace, name, labels: { app: name } },
  spec: { containers: [{ name: 'main', image: 'x' }] },
  status: { podIP: '10.0.0.1' },
});

describe('readClusterState', () => {
  it('lists every page of every kind', async () => {
    const { all, requests } = sources({
      Namespace: () => ({ items: [ns('shop')] }),
      Pod: (request) =>
        request._continue === undefined
          ? { items: [pod('shop', 'a')], metadata: { _continue: 'page-2' } }
          : { items: [pod('shop', 'b')] },
    });
    const read = await readClusterState(new KubeConfig(), { sources: all, pageSize: 1 });
    expect(read.state.pods.map((p) => p.name)).toEqual(['a', 'b']);
    expect(read.skipped).toEqual([]);
    expect(requests.filter((r) => r.kind === 'Pod').map((r) => r.request)).toEqual([
      { limit: 1, _continue: undefined },
      { limit: 1, _continue: 'page-2' },
    ]);
  });

  it('skips optional kinds the API does not serve or RBAC refuses, and says which', async () => {
    const { all } = sources({
      Namespace: () => ({ items: [ns('shop')] }),
      Service: status(403, 'Forbidden'),
      DaemonSet: status(404, 'NotFound'),
    });
    const read = await readClusterState(new KubeConfig(), { sources: all });
    expect(read.state.namespaces.map((n) => n.name)).toEqual(['shop']);
    expect(read.skipped).toEqual([
      { kind: 'Service', resource: 'services', status: 403 },
      { kind: 'DaemonSet', resource: 'daemonsets.apps', status: 404 },
    ]);
  });

  it('rejects when a required kind fails, naming the first such kind in order and its resource', async () => {
    const { all } = sources({
      NetworkPolicy: status(403, 'Forbidden'),
      Pod: status(401, 'Unauthorized'),
    });
    const failure = await readClusterState(new KubeConfig(), { sources: all }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(KindReadError);
    expect(failure).toMatchObject({ kind: 'Pod', resource: 'pods', failure: { status: 401 } });
    const policies = await readClusterState(new KubeConfig(), {
      sources: sources({ NetworkPolicy: status(403, 'Forbidden') }).all,
    }).catch((e: unknown) => e);
    expect(policies).toMatchObject({
      kind: 'NetworkPolicy',
      resource: 'networkpolicies.networking.k8s.io',
      failure: { status: 403, code: 'E_KUBE_FORBIDDEN' },
    });
  });

  it('leaves out an object the state reader rejects, and says which', async () => {
    const leftOut: string[] = [];
    const { all } = sources({
      Namespace: () => ({ items: [ns('shop')] }),
      Pod: () => ({ items: [pod('shop', 'good'), pod('Bad_Namespace', 'bad')] }),
    });
    const read = await readClusterState(new KubeConfig(), {
      sources: all,
      leftOut: (object) => leftOut.push(`${String(object.kind)} ${object.key}`),
    });
    expect(read.state.pods.map((p) => p.name)).toEqual(['good']);
    expect(leftOut).toEqual(['Pod Bad_Namespace/bad']);
  });
});
