import { parseState } from '../state/load-state';
import { formatRequest } from './format-request';
import { parseRequest } from './parser';
import { resolveRequest } from './resolve-request';
import { netpolErrorOf } from '../../../test/support/netpol-error';

const STATE = parseState(`
kind: List
items:
  - { kind: Namespace, metadata: { name: frontend } }
  - { kind: Namespace, metadata: { name: backend } }
  - { kind: Namespace, metadata: { name: monitoring } }
  - kind: Deployment
    metadata: { name: web, namespace: frontend }
    spec: { selector: { matchLabels: { app.kubernetes.io/name: web, pod-template-hash: abc } } }
  - kind: Service
    metadata: { name: db, namespace: backend }
    spec: { selector: { role: database } }
  - kind: Pod
    metadata: { name: prom-0, namespace: monitoring, labels: { app.kubernetes.io/name: prometheus } }
  - kind: Pod
    metadata: { name: api-0, namespace: backend, labels: { k8s-app: api } }
`);

function resolved(text: string, withState = true) {
  const { request, notes } = resolveRequest(parseRequest(text), withState ? { state: STATE } : {});
  return { canonical: formatRequest(request), notes };
}

describe('resolveRequest', () => {
  it('uses a workload of that name first, without its volatile labels', () => {
    const { canonical, notes } = resolved('allow frontend web to backend');
    expect(canonical).toBe('allow frontend/app.kubernetes.io/name=web to backend/* on any');
    expect(notes).toEqual([
      'frontend web -> app.kubernetes.io/name=web (selector of Deployment frontend/web)',
    ]);
  });

  it('then a Service of that name', () => {
    expect(resolved('allow frontend/* to backend db on tcp/5432').canonical).toBe(
      'allow frontend/* to backend/role=database on tcp/5432',
    );
  });

  it('then the label keys in order', () => {
    expect(resolved('allow monitoring prometheus to backend api').canonical).toBe(
      'allow monitoring/app.kubernetes.io/name=prometheus to backend/k8s-app=api on any',
    );
  });

  it('falls back to app=<word>, and says so', () => {
    const { canonical, notes } = resolved('allow frontend nothere to backend');
    expect(canonical).toBe('allow frontend/app=nothere to backend/* on any');
    expect(notes[0]).toContain('no workload, Service or labelled pod is called "nothere"');
    expect(resolved('allow frontend web to backend', false).canonical).toBe(
      'allow frontend/app=web to backend/* on any',
    );
  });

  it('resolves named objects and refuses unknown ones with a suggestion', () => {
    expect(resolved('allow frontend/deploy/web to backend').canonical).toBe(
      'allow frontend/app.kubernetes.io/name=web to backend/* on any',
    );
    const error = netpolErrorOf(() => resolved('allow frontend/deploy/wbe to backend'));
    expect(error.code).toBe('E_UNKNOWN_ENDPOINT');
    expect(error.hint).toBe('did you mean "web"?');
    expect(netpolErrorOf(() => resolved('allow frontend/deploy/web to backend', false)).code).toBe(
      'E_UNKNOWN_ENDPOINT',
    );
  });

  it('refuses an unknown namespace, pointing at it, with a suggestion', () => {
    const text = 'allow frontend nginx to backnd';
    const error = netpolErrorOf(() => resolved(text));
    expect(error.code).toBe('E_UNKNOWN_NAMESPACE');
    expect(error.message).toBe('no namespace "backnd" in the cluster');
    expect(error.hint).toBe('did you mean "backend"?');
    expect(error.column).toBe(text.indexOf('backnd') + 1);
    expect(netpolErrorOf(() => resolved('deny ingress in fronted')).hint).toBe('did you mean "frontend"?');
    expect(netpolErrorOf(() => resolved('isolate zzzzzzzz')).hint).toContain(
      'known namespaces: backend, frontend, monitoring',
    );
  });

  it('lets a question name a single pod', () => {
    const { canonical } = resolved('can monitoring prom-0 reach backend api-0 on 80');
    expect(canonical).toBe('can monitoring/pod/prom-0 reach backend/pod/api-0 on tcp/80');
  });
});

describe('namespace selectors', () => {
  it('reads "namespace" in ns(...) as the immutable name label', () => {
    const { request } = resolveRequest(
      parseRequest('allow default/app=myapp to ns(namespace in (frontend,backend))/*'),
    );
    expect(formatRequest(request)).toBe(
      'allow default/app=myapp to ns(kubernetes.io/metadata.name in (frontend,backend))/* on any',
    );
  });
});
