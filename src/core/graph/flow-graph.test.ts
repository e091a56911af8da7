import { buildFlowGraph, dotString, flowGraphDot, formatCount, type GraphFlow } from './flow-graph';

const w = (namespace: string, name: string) => ({ kind: 'workload' as const, namespace, name });

const FLOWS: GraphFlow[] = [
  {
    source: w('frontend', 'nginx'),
    destination: w('backend', 'api'),
    protocol: 'TCP',
    port: 8080,
    verdict: 'allowed',
    count: 1204,
  },
  {
    source: w('frontend', 'nginx'),
    destination: w('backend', 'api'),
    protocol: 'TCP',
    port: 9090,
    verdict: 'blocked',
    count: 3,
  },
  {
    source: w('backend', 'api'),
    destination: { kind: 'address', address: '203.0.113.7', name: 'payments' },
    protocol: 'TCP',
    port: 443,
    verdict: 'allowed',
    count: 12,
  },
  {
    source: w('backend', 'api'),
    destination: w('kube-system', 'coredns'),
    protocol: 'UDP',
    port: 53,
    verdict: 'allowed',
    count: 40,
  },
  {
    source: w('backend', 'api'),
    destination: w('kube-system', 'coredns'),
    protocol: 'TCP',
    port: 53,
    verdict: 'allowed',
    count: 2,
  },
  {
    source: w('monitoring', 'prom'),
    destination: w('other', 'x'),
    protocol: 'TCP',
    port: 80,
    verdict: 'allowed',
    count: 1,
  },
];

describe('buildFlowGraph', () => {
  it('keeps the flows touching the namespace, one cluster per namespace, addresses apart', () => {
    const graph = buildFlowGraph(FLOWS, { namespace: 'backend' });
    expect([...graph.namespaces.keys()]).toEqual(['backend', 'frontend', 'kube-system']);
    expect(graph.addresses.map((n) => n.label)).toEqual(['203.0.113.7\npayments']);
    expect(graph.title).toBe('observed flows in backend');
    // nginx -> api allowed and blocked are two edges; coredns's two ports are one edge.
    expect(graph.edges.map((e) => [e.verdict, e.ports])).toEqual([
      ['allowed', ['tcp/53 (2)', 'udp/53 (40)']],
      ['allowed', ['tcp/443 (12)']],
      ['allowed', ['tcp/8080 (1,204)']],
      ['blocked', ['tcp/9090 (3)']],
    ]);
  });

  it('draws workloads of the namespace with no flows when pods are given', () => {
    const graph = buildFlowGraph(FLOWS, {
      namespace: 'backend',
      pods: [
        { namespace: 'backend', name: 'db-0', labels: { app: 'db' } },
        { namespace: 'frontend', name: 'web-1', labels: { app: 'web' } },
      ],
    });
    expect(graph.namespaces.get('backend')!.map((n) => n.label)).toEqual(['api', 'db']);
    expect(graph.namespaces.get('frontend')!.map((n) => n.label)).toEqual(['nginx']);
  });

  it('gives the same DOT whatever order the flows come in', () => {
    const a = flowGraphDot(buildFlowGraph(FLOWS, { namespace: 'backend' }));
    const b = flowGraphDot(buildFlowGraph([...FLOWS].reverse(), { namespace: 'backend' }));
    expect(b).toBe(a);
  });
});

describe('flowGraphDot', () => {
  it('colours allowed and blocked edges and has a legend', () => {
    const dot = flowGraphDot(buildFlowGraph(FLOWS, { namespace: 'backend' }));
    expect(dot).toContain('subgraph cluster_0 {');
    expect(dot).toContain('label="namespace backend"');
    expect(dot).toMatch(/n\d+ -> n\d+ \[label="tcp\/9090 \(3\)", color="#d32f2f"/);
    expect(dot).toMatch(/n\d+ -> n\d+ \[label="tcp\/8080 \(1,204\)", color="#2e7d32"/);
    expect(dot).toContain('subgraph cluster_legend {');
    expect(dot).toContain('label="blocked"');
    expect(dot).toContain('[label="203.0.113.7\\npayments", shape="box", style="dashed"');
    expect(dot).toMatchSnapshot();
  });

  it('escapes names: quotes, backslashes and line breaks never end the string', () => {
    const flows: GraphFlow[] = [
      {
        source: { kind: 'address', address: '10.9.9.9', name: 'evil" -> n0 [color=red] //\\' },
        destination: w('backend', 'a"b'),
        protocol: 'TCP',
        port: 1,
        verdict: 'blocked',
        count: 1,
      },
    ];
    const dot = flowGraphDot(buildFlowGraph(flows, { title: 'x\ny' }));
    expect(dot).toContain('label="10.9.9.9\\nevil\\" -> n0 [color=red] //\\\\"');
    expect(dot).toContain('label="a\\"b"');
    expect(dot).toContain('label="x\\ny"');
    // One edge statement besides the legend's: the name's "->" stayed inside its label.
    expect(dot.split('\n').filter((l) => /^ {2}n\d+ -> /.test(l))).toHaveLength(1);
  });

  it('dotString and formatCount', () => {
    expect(dotString('a\\b"c\r\nd')).toBe('"a\\\\b\\"c\\nd"');
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
});
