import { parseRequest } from '../request/parser';
import { isPolicyRequest } from '../request/request';
import { resolveRequest } from '../request/resolve-request';
import { parseState } from '../state/load-state';
import type { ClusterState } from '../state/cluster-state';
import { buildPolicies } from './build-policies';
import { computeWarnings, type WarningCode } from './warnings';

const BASE = `
kind: List
items:
  - { kind: Namespace, metadata: { name: frontend, labels: { team: web } } }
  - { kind: Namespace, metadata: { name: backend } }
  - kind: Pod
    metadata: { name: nginx, namespace: frontend, labels: { app: nginx } }
    spec: { containers: [{ ports: [{ name: http, containerPort: 80 }] }] }
    status: { podIP: 10.0.1.1 }
  - kind: Pod
    metadata: { name: api-a, namespace: backend, labels: { app: api } }
    spec: { containers: [{ ports: [{ name: http, containerPort: 8080 }] }] }
    status: { podIP: 10.0.2.1 }
  - kind: Pod
    metadata: { name: api-b, namespace: backend, labels: { app: api } }
    spec: { containers: [{ ports: [{ name: http, containerPort: 9090 }] }] }
    status: { podIP: 10.0.2.2 }
`;

const ALLOW_ALL_TO_API = `
---
kind: NetworkPolicy
metadata: { name: open-api, namespace: backend }
spec: { podSelector: { matchLabels: { app: api } }, ingress: [{}] }
`;

function warnings(text: string, state: ClusterState): { code: WarningCode; message: string }[] {
  const { request } = resolveRequest(parseRequest(text), { state });
  if (!isPolicyRequest(request)) throw new Error('not a policy request');
  return computeWarnings(request, buildPolicies(request, { command: text, state }), state);
}

function codes(text: string, state: ClusterState): WarningCode[] {
  return warnings(text, state).map((w) => w.code);
}

const state = parseState(BASE);

describe('computeWarnings', () => {
  it('W001 lists the pods newly isolated and the connections that stop working', () => {
    const [w] = warnings('deny ingress in backend', state);
    expect(w?.code).toBe('W001_NEW_ISOLATION');
    expect(w?.message).toContain('2 pod(s) become isolated for ingress');
    expect(w?.message).toContain('frontend/nginx -> backend/api-a TCP/8080');
    expect(w?.message).toContain('backend/api-a -> backend/api-b TCP/9090');
  });

  it('W001 is silent when the pods were isolated already', () => {
    const isolated = parseState(BASE + ALLOW_ALL_TO_API);
    expect(codes('allow frontend nginx to backend api', isolated)).not.toContain('W001_NEW_ISOLATION');
  });

  it('W002 when egress isolation leaves no way to DNS, not with except dns', () => {
    expect(codes('deny egress in backend', state)).toContain('W002_DNS_BLOCKED');
    expect(codes('deny egress in backend except dns', state)).not.toContain('W002_DNS_BLOCKED');
  });

  it('W009 when a selector matches no pod', () => {
    const found = warnings('allow frontend app=ngnix to backend', state).find(
      (w) => w.code === 'W009_SELECTOR_MATCHES_NOTHING',
    );
    expect(found?.message).toContain(
      'frontend/app=ngnix matches no pod today: did you mean frontend/app=nginx?',
    );
    expect(codes('allow frontend nginx to backend', state)).not.toContain('W009_SELECTOR_MATCHES_NOTHING');
  });

  it('W008 when namespaces are chosen by a mutable label', () => {
    expect(codes('allow ns(team=web)/* to backend/app=api on 80', state)).toContain(
      'W008_NS_LABEL_SPOOFABLE',
    );
    expect(
      codes('allow ns(kubernetes.io/metadata.name=frontend)/* to backend/app=api on 80', state),
    ).not.toContain('W008_NS_LABEL_SPOOFABLE');
  });

  it('W010 when an ipBlock covers pod IPs, naming them', () => {
    const found = warnings('allow 10.0.0.0/16 to backend/app=api on 80', state).find(
      (w) => w.code === 'W010_IPBLOCK_COVERS_PODS',
    );
    expect(found?.message).toContain('covers 3 pod IP(s)');
    expect(codes('allow 10.0.0.0/16 except 10.0.0.0/17 to backend/app=api on 80', state)).not.toContain(
      'W010_IPBLOCK_COVERS_PODS',
    );
  });

  it('W006 when a port name means different numbers on different pods', () => {
    const found = warnings('allow frontend nginx to backend api on http', state).find(
      (w) => w.code === 'W006_NAMED_PORT',
    );
    expect(found?.message).toContain('8080 on backend/api-a; 9090 on backend/api-b');
    expect(codes('allow frontend nginx to backend api on grpc', state)).toContain('W006_NAMED_PORT');
  });

  it('W013 when other policies still allow what a deny means to stop', () => {
    const open = parseState(BASE + ALLOW_ALL_TO_API);
    const found = warnings('deny ingress to backend/app=api', open).find(
      (w) => w.code === 'W013_DENY_INEFFECTIVE',
    );
    expect(found?.message).toContain('backend/open-api');
    expect(codes('deny ingress to backend/app=api', state)).not.toContain('W013_DENY_INEFFECTIVE');
  });

  it('W021 for a broad allow on every port, W007 for "and"', () => {
    expect(codes('allow all to backend/app=api', state)).toContain('W021_BROAD_ALLOW');
    expect(codes('allow all to backend/app=api on 443', state)).not.toContain('W021_BROAD_ALLOW');
    expect(codes('allow frontend nginx and backend api to backend/app=api on 80', state)).toContain(
      'W007_AND_OR',
    );
  });
});
