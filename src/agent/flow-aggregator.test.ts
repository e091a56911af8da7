import type { DataplaneEvent } from '../adapters/bpf/abi';
import { FlowAggregator, type FlowPods } from './flow-aggregator';

type Pod = { namespace: string; name: string; labels: Record<string, string> };
const PODS = new Map<string, Pod>([
  [
    '10.1.0.5',
    {
      namespace: 'frontend',
      name: 'nginx-7d4b9c8f5-x2k4q',
      labels: { app: 'nginx', 'pod-template-hash': '7d4b9c8f5' },
    },
  ],
  ['10.1.0.6', { namespace: 'backend', name: 'api-0', labels: { app: 'api' } }],
]);
const ENDPOINTS = new Map<number, Pod>([[6, PODS.get('10.1.0.6')!]]);
const pods: FlowPods = { podOfEndpoint: (id) => ENDPOINTS.get(id), podOf: (a) => PODS.get(a) };

function event(overrides: Partial<DataplaneEvent> = {}): DataplaneEvent {
  return {
    timestampNs: 0n,
    family: 4,
    source: '10.1.0.5',
    destination: '10.1.0.6',
    sourcePort: 40000,
    destinationPort: 8080,
    protocol: 6,
    endpointId: 6,
    peerIdentity: 0,
    ruleId: 0,
    suppressed: 0,
    direction: 'ingress',
    kind: 'allow-new-flow',
    reason: 'ALLOWED_BY_RULE',
    ...overrides,
  } as DataplaneEvent;
}

const T = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s));

describe('FlowAggregator', () => {
  it('counts flows per workload pair, port, protocol and verdict, drops as blocked with what was suppressed', () => {
    const agg = new FlowAggregator(100);
    agg.add(event({ sourcePort: 1 }), pods, T(1));
    agg.add(event({ sourcePort: 2 }), pods, T(2));
    agg.add(
      event({ kind: 'drop', reason: 'NO_RULE_INGRESS', suppressed: 4, destinationPort: 9090 }),
      pods,
      T(3),
    );
    agg.add(
      event({ direction: 'egress', source: '10.1.0.6', destination: '203.0.113.7', destinationPort: 443 }),
      pods,
      T(4),
    );
    const { flows, overflow } = agg.drain();
    expect(overflow).toBe(0);
    expect(
      flows.map((f) => [
        f.source.kind === 'workload' ? f.source.name : f.source.address,
        f.destination.kind === 'workload' ? f.destination.name : f.destination.address,
        `${f.protocol}/${f.port}`,
        f.verdict,
        f.count,
      ]),
    ).toEqual([
      ['nginx', 'api', 'TCP/8080', 'allowed', 2],
      ['nginx', 'api', 'TCP/9090', 'blocked', 5],
      ['api', '203.0.113.7', 'TCP/443', 'allowed', 1],
    ]);
    expect(flows[0]).toMatchObject({ firstSeen: T(1).toISOString(), lastSeen: T(2).toISOString() });
    expect(flows[0]!.source).toEqual({
      kind: 'workload',
      namespace: 'frontend',
      name: 'nginx',
      selector: { app: 'nginx' },
    });
    expect(agg.drain().flows).toEqual([]);
  });

  it("counts would-drop events (audit mode) as 'would-block' flows naming the side's audit policies", () => {
    const agg = new FlowAggregator(100);
    const audited: FlowPods = {
      ...pods,
      auditPoliciesOf: (id, direction) =>
        id === 6 && direction === 'ingress' ? ['backend/default-deny', 'backend/audit-b'] : [],
    };
    agg.add(event({ kind: 'would-drop', reason: 'NO_RULE_INGRESS', suppressed: 2 }), audited, T(1));
    agg.add(event({ kind: 'would-drop', reason: 'NO_RULE_INGRESS', sourcePort: 2 }), audited, T(2));
    agg.add(event({ kind: 'drop', reason: 'NO_RULE_INGRESS' }), audited, T(3));
    // An event trailing the side's switch to enforcement: no policy named, still would-block.
    agg.add(event({ kind: 'would-drop', reason: 'NO_RULE_INGRESS', destinationPort: 81 }), pods, T(4));
    const { flows } = agg.drain();
    expect(flows.map((f) => [`${f.protocol}/${f.port}`, f.verdict, f.count, f.auditPolicies])).toEqual([
      ['TCP/8080', 'would-block', 4, ['backend/audit-b', 'backend/default-deny']],
      ['TCP/8080', 'blocked', 1, undefined],
      ['TCP/81', 'would-block', 1, undefined],
    ]);
    expect(flows[0]).toMatchObject({ firstSeen: T(1).toISOString(), lastSeen: T(2).toISOString() });
  });

  it('holds at most maxKeys flows and counts the events of the others as overflow', () => {
    const agg = new FlowAggregator(2);
    for (let port = 1; port <= 5; port++) agg.add(event({ destinationPort: port }), pods, T(1));
    expect(agg.add(event({ destinationPort: 1 }), pods, T(2))).toBe(true);
    const { flows, overflow } = agg.drain();
    expect(flows.map((f) => [f.port, f.count])).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect(overflow).toBe(3);
  });

  it('keeps no flow of a protocol without ports (ICMP)', () => {
    const agg = new FlowAggregator(10);
    expect(agg.add(event({ protocol: 1 }), pods, T(1))).toBe(false);
    expect(agg.drain().flows).toEqual([]);
  });
});
