import { parseState } from './load-state';
import { netpolErrorOf } from '../../../test/support/netpol-error';

const LIST = `
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Namespace
    metadata: { name: backend, labels: { team: api } }
  - apiVersion: v1
    kind: Pod
    metadata: { name: api-0, namespace: backend, labels: { app: api } }
    spec:
      hostNetwork: false
      containers:
        - name: api
          ports: [{ name: http, containerPort: 8080 }, { containerPort: 53, protocol: UDP }]
    status: { podIP: 10.0.0.5 }
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: { name: deny, namespace: backend }
    spec: { podSelector: {}, policyTypes: [Ingress] }
  - apiVersion: v1
    kind: ConfigMap
    metadata: { name: skipped, namespace: backend }
  - apiVersion: apps/v1
    kind: Deployment
    metadata: { name: api, namespace: backend }
    spec: { selector: { matchLabels: { app: api } } }
  - apiVersion: v1
    kind: Service
    metadata: { name: api, namespace: backend }
    spec: { selector: { app: api }, ports: [{ port: 80, targetPort: http }] }
`;

describe('parseState', () => {
  it('reads what kubectl get -o yaml prints, skipping kinds it does not need', () => {
    const state = parseState(LIST);
    expect(state.namespaces).toEqual([
      { name: 'backend', labels: { team: 'api', 'kubernetes.io/metadata.name': 'backend' } },
    ]);
    expect(state.pods).toEqual([
      {
        namespace: 'backend',
        name: 'api-0',
        labels: { app: 'api' },
        ip: '10.0.0.5',
        hostNetwork: false,
        ports: [
          { name: 'http', containerPort: 8080, protocol: 'TCP' },
          { containerPort: 53, protocol: 'UDP' },
        ],
      },
    ]);
    expect(state.policies.map((p) => p.metadata.name)).toEqual(['deny']);
    expect(state.workloads).toEqual([
      { kind: 'Deployment', namespace: 'backend', name: 'api', selector: { matchLabels: { app: 'api' } } },
    ]);
    expect(state.services[0]?.ports).toEqual([{ port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('reads several documents, JSON included, and assumes namespaces only referenced', () => {
    const state = parseState(
      `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"x"},"status":{"podIP":"fd00::1"}}\n---\n` +
        `apiVersion: v1\nkind: Pod\nmetadata: {name: b}\n`,
    );
    expect(state.pods.map((p) => `${p.namespace}/${p.name} ${p.ip ?? '-'}`)).toEqual([
      'default/b -',
      'x/a fd00::1',
    ]);
    expect(state.namespaces.map((n) => n.name)).toEqual(['default', 'x']);
    expect(state.namespaces[1]?.labels).toEqual({ 'kubernetes.io/metadata.name': 'x' });
  });

  it('reads JSON as kubectl -o json prints it, naming the line of an invalid List item', () => {
    const json = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'x' } },
          { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'B_bad', namespace: 'x' } },
        ],
      },
      null,
      4,
    );
    const error = netpolErrorOf(() => parseState(json, 's.json'));
    expect(error.message).toMatch(/^s\.json:13: Pod x\/B_bad is invalid: metadata\.name/);
    const good = JSON.parse(json) as { items: unknown[] };
    good.items.pop();
    expect(parseState(JSON.stringify(good)).pods.map((p) => p.name)).toEqual(['a']);
  });

  it('refuses a repeated key in JSON with its line and column, as in YAML', () => {
    const json = '{\n  "kind": "Pod",\n  "metadata": {"name": "a", "name": "b"}\n}\n';
    const error = netpolErrorOf(() => parseState(json, 's.json'));
    expect(error.code).toBe('E_STATE');
    expect(error.message).toBe('s.json:3:29: invalid YAML: Map keys must be unique');
  });

  it('reads an empty file as an empty cluster', () => {
    expect(parseState('')).toEqual({ namespaces: [], pods: [], policies: [], workloads: [], services: [] });
  });

  it('names the line and column of a YAML syntax error', () => {
    const error = netpolErrorOf(() => parseState('kind: Pod\nmetadata: {name: a\n', 'cluster.yaml'));
    expect(error.code).toBe('E_STATE');
    expect(error.message).toMatch(/^cluster\.yaml:\d+:\d+: invalid YAML/);
  });

  it('names the object, its line and every invalid field', () => {
    const text = `apiVersion: v1
kind: List
items:
  - kind: Namespace
    metadata: { name: ok }
  - kind: NetworkPolicy
    metadata: { name: Bad_Name, namespace: ok }
    spec:
      podSelector: {}
      ingress:
        - ports: [{ port: 70000, protocol: ICMP }]
`;
    const error = netpolErrorOf(() => parseState(text, 's.yaml'));
    expect(error.message).toContain('s.yaml:6: NetworkPolicy ok/Bad_Name is invalid');
    expect(error.message).toContain('metadata.name: "Bad_Name"');
    expect(error.message).toContain('spec.ingress[0].ports[0].protocol: must be TCP, UDP or SCTP');
    expect(error.message).toContain(
      'spec.ingress[0].ports[0].port: 70000 must be a whole number from 1 to 65535',
    );
  });

  it.each([
    ['an object without kind', 'metadata: {name: a}\n', 'object has no "kind"'],
    ['a scalar document', 'hello\n', 'expected a Kubernetes object or a List'],
    ['a List whose items is not a list', 'kind: List\nitems: 3\n', 'List.items must be a list'],
    ['a pod with a bad IP', 'kind: Pod\nmetadata: {name: a}\nstatus: {podIP: 10.0.0.999}\n', 'status.podIP'],
    [
      'a pod with a bad port',
      'kind: Pod\nmetadata: {name: a}\nspec: {containers: [{ports: [{containerPort: 0}]}]}\n',
      'containerPort',
    ],
    [
      'a duplicate pod',
      'kind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: a}\n',
      'appears twice (first at line 1)',
    ],
    [
      'a peer with ipBlock and a selector',
      'kind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}\n',
      'may not combine ipBlock',
    ],
    [
      'an except outside its cidr',
      'kind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}}]}]}\n',
      'must be inside cidr',
    ],
    [
      'endPort with a named port',
      'kind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}, ingress: [{ports: [{port: http, endPort: 90}]}]}\n',
      'endPort: may only be set together with a numeric port',
    ],
    [
      'a bad operator',
      'kind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {matchExpressions: [{key: a, operator: Has}]}}\n',
      'must be In, NotIn, Exists or DoesNotExist',
    ],
  ])('refuses %s with a clear message', (_what, text, fragment) => {
    const error = netpolErrorOf(() => parseState(text));
    expect(error.code).toBe('E_STATE');
    expect(error.message).toContain(fragment);
    expect(error.message).not.toContain('\n');
  });
});
