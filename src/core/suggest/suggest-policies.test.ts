import { buildPolicyIndex, evaluateConnection, type TrafficEndpoint } from '../evaluator';
import type { Protocol } from '../k8s/types';
import type { PodInfo } from '../state/cluster-state';
import { parseState } from '../state/load-state';
import { planRequest } from '../use-cases/plan-request';
import {
  groupedAddresses,
  suggestFor,
  suggestionRequests,
  type SuggestFlow,
  type SuggestPeer,
} from './suggest-policies';

const STATE = parseState(`
kind: List
items:
  - { kind: Namespace, metadata: { name: frontend, labels: { kubernetes.io/metadata.name: frontend } } }
  - { kind: Namespace, metadata: { name: backend, labels: { kubernetes.io/metadata.name: backend } } }
  - { kind: Namespace, metadata: { name: kube-system, labels: { kubernetes.io/metadata.name: kube-system } } }
  - kind: Pod
    metadata: { name: nginx-0, namespace: frontend, labels: { app: nginx } }
    status: { podIP: 10.1.0.5 }
  - kind: Pod
    metadata: { name: api-0, namespace: backend, labels: { app: api } }
    status: { podIP: 10.1.0.6 }
  - kind: Pod
    metadata: { name: db-0, namespace: backend, labels: { app: db } }
    status: { podIP: 10.1.0.7 }
  - kind: Pod
    metadata: { name: worker-0, namespace: backend, labels: { app: worker } }
    status: { podIP: 10.1.0.8 }
  - kind: Pod
    metadata: { name: coredns-0, namespace: kube-system, labels: { k8s-app: kube-dns } }
    status: { podIP: 10.1.0.2 }
`);

const w = (namespace: string, app: string): SuggestPeer => ({
  kind: 'workload',
  namespace,
  name: app,
  selector: { app },
});
const flow = (
  source: SuggestPeer,
  destination: SuggestPeer,
  port: number,
  protocol: SuggestFlow['protocol'] = 'TCP',
  verdict: SuggestFlow['verdict'] = 'allowed',
): SuggestFlow => ({ source, destination, port, protocol, verdict, count: 3 });
const DNS: SuggestPeer = {
  kind: 'workload',
  namespace: 'kube-system',
  name: 'kube-dns',
  selector: { 'k8s-app': 'kube-dns' },
};

const FLOWS: SuggestFlow[] = [
  flow(w('frontend', 'nginx'), w('backend', 'api'), 8080),
  flow(w('backend', 'api'), w('backend', 'db'), 5432),
  flow(w('backend', 'api'), DNS, 53, 'UDP'),
  flow(w('backend', 'api'), { kind: 'address', address: '203.0.113.7' }, 443),
  flow(w('backend', 'api'), { kind: 'address', address: '203.0.113.9' }, 443),
  flow(w('frontend', 'nginx'), w('backend', 'db'), 5432, 'TCP', 'blocked'),
];

/** The cluster after the suggestion's policies, planned by the ordinary planner. */
function applied(requests: string[]) {
  const policies = requests.flatMap((text) => {
    const plan = planRequest(text, STATE);
    if (plan.kind !== 'policies') throw new Error(`not a change: ${text}`);
    return plan.policies;
  });
  return buildPolicyIndex({ ...STATE, policies });
}

const pod = (name: string): TrafficEndpoint => ({
  kind: 'pod',
  pod: STATE.pods.find((p) => p.name === name) as PodInfo,
});
const allowed = (
  index: ReturnType<typeof applied>,
  from: TrafficEndpoint,
  to: TrafficEndpoint,
  port: number,
  protocol: Protocol = 'TCP',
) => evaluateConnection(index, from, to, port, protocol).allowed;

describe('suggestFor', () => {
  it('allows every observed allowed flow and nothing else between those workloads', () => {
    const suggestion = suggestFor('backend', FLOWS);
    const ticked = new Set(suggestion.items.filter((i) => i.ticked).map((i) => i.id));
    const requests = suggestionRequests(suggestion, ticked);
    // The namespace is isolated last: the exceptions exist before it takes effect.
    expect(requests).toEqual([
      'deny egress from backend/app=api except 203.0.113.0/28 on tcp/443 | backend/app=db on tcp/5432 | dns',
      'deny ingress to backend/app=api except frontend/app=nginx on tcp/8080',
      'deny ingress to backend/app=db except backend/app=api on tcp/5432',
      'deny all in backend',
    ]);
    const index = applied(requests);
    // Seen and allowed: still allowed.
    expect(allowed(index, pod('nginx-0'), pod('api-0'), 8080)).toBe(true);
    expect(allowed(index, pod('api-0'), pod('db-0'), 5432)).toBe(true);
    expect(allowed(index, pod('api-0'), pod('coredns-0'), 53, 'UDP')).toBe(true);
    expect(allowed(index, pod('api-0'), { kind: 'ip', ip: '203.0.113.7' }, 443)).toBe(true);
    // Not seen: denied (other ports, other pairs, the blocked flow, the reverse, the unseen worker).
    expect(allowed(index, pod('nginx-0'), pod('api-0'), 9090)).toBe(false);
    expect(allowed(index, pod('nginx-0'), pod('db-0'), 5432)).toBe(false);
    expect(allowed(index, pod('db-0'), pod('api-0'), 8080)).toBe(false);
    expect(allowed(index, pod('api-0'), { kind: 'ip', ip: '198.51.100.1' }, 443)).toBe(false);
    expect(allowed(index, pod('worker-0'), pod('db-0'), 5432)).toBe(false);
    expect(allowed(index, pod('nginx-0'), pod('worker-0'), 8080)).toBe(false);
    expect(allowed(index, pod('db-0'), pod('coredns-0'), 53, 'UDP')).toBe(false);
  });

  it('starts the blocked flow unticked and, unticked, an allowed flow is denied', () => {
    const suggestion = suggestFor('backend', FLOWS);
    const blocked = suggestion.items.find((i) => i.flow.verdict === 'blocked')!;
    expect(blocked.ticked).toBe(false);
    const toDb = suggestion.items.find((i) => i.flow.port === 5432 && i.flow.verdict === 'allowed')!;
    const ticked = new Set(suggestion.items.filter((i) => i.ticked && i !== toDb).map((i) => i.id));
    const index = applied(suggestionRequests(suggestion, ticked));
    expect(allowed(index, pod('api-0'), pod('db-0'), 5432)).toBe(false);
    expect(allowed(index, pod('nginx-0'), pod('api-0'), 8080)).toBe(true);
  });

  it('ticking the blocked flow allows it', () => {
    const suggestion = suggestFor('backend', FLOWS);
    const index = applied(suggestionRequests(suggestion, new Set(suggestion.items.map((i) => i.id))));
    expect(allowed(index, pod('nginx-0'), pod('db-0'), 5432)).toBe(true);
  });

  it('offers a flow seen blocked and later allowed once, ticked', () => {
    const seenTwice = [
      flow(w('frontend', 'nginx'), w('backend', 'api'), 8080, 'TCP', 'blocked'),
      flow(w('frontend', 'nginx'), w('backend', 'api'), 8080, 'TCP', 'allowed'),
    ];
    const suggestion = suggestFor('backend', seenTwice);
    expect(suggestion.items).toHaveLength(1);
    expect(suggestion.items[0]).toMatchObject({ ticked: true, flow: { verdict: 'allowed' } });
  });

  it('reports what it cannot attribute instead of widening it', () => {
    const bare: SuggestPeer = { kind: 'workload', namespace: 'backend', name: 'job', selector: {} };
    const suggestion = suggestFor('backend', [
      flow(bare, w('backend', 'db'), 5432),
      flow(w('frontend', 'nginx'), w('other', 'x'), 80),
    ]);
    // A pod without labels could only be written as every pod of its namespace: nothing is written.
    expect(suggestion.items).toEqual([]);
    expect(suggestion.unattributed.map((u) => u.why)).toEqual(['backend/job has no labels to select it by']);
  });

  it('every request it writes parses as the language (no hand-written policy)', () => {
    const suggestion = suggestFor('backend', FLOWS);
    for (const text of suggestionRequests(suggestion, new Set(suggestion.items.map((i) => i.id))))
      expect(planRequest(text, STATE).kind).toBe('policies');
  });
});

describe('groupedAddresses', () => {
  it('groups addresses within a /24 into their common prefix, a lone one into its /32', () => {
    const peers: SuggestPeer[] = [
      '203.0.113.7',
      '203.0.113.9',
      '198.51.100.1',
      '2001:db8::1',
      '2001:db8::3',
    ].map((address) => ({ kind: 'address', address }));
    expect(Object.fromEntries(groupedAddresses(peers))).toEqual({
      '203.0.113.7': '203.0.113.0/28',
      '203.0.113.9': '203.0.113.0/28',
      '198.51.100.1': '198.51.100.1/32',
      '2001:db8::1': '2001:db8::/126',
      '2001:db8::3': '2001:db8::/126',
    });
  });
});
