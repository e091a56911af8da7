import { DEFAULT_NODE, planLab, SYNC_NAMESPACE } from './lab-plan';

const pod = (namespace: string, name: string, ip: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace, name },
  spec: { containers: [{ name: 'c' }], ...extra },
  status: { podIP: ip },
});

describe('planLab', () => {
  it('puts pods without a node on one default node, sorted as netpol matrix reports them', () => {
    const plan = planLab([pod('b', 'p', '10.0.0.2'), pod('a', 'p', '10.0.0.1', { nodeName: 'n1' })], {
      prefix: 't-',
    });
    expect(plan.nodes.map((n) => [n.name, n.ipv4])).toEqual([
      ['lab-node', '198.18.0.1'],
      ['n1', '198.18.0.2'],
    ]);
    expect(plan.pods.map((p) => [p.key, p.node, p.netns])).toEqual([
      ['a/p', 'n1', 't-a-p'],
      ['b/p', DEFAULT_NODE, 't-b-p'],
    ]);
    expect(plan.pods[0]).toMatchObject({ tcpPorts: [80, 81], udpPorts: [80, 81] });
    expect(plan.objects.find((o) => o.kind === 'Pod')).toMatchObject({ spec: { nodeName: 'lab-node' } });
  });

  it('serves the declared TCP and UDP ports only', () => {
    const declared = pod('a', 'p', '10.0.0.1', {
      containers: [{ name: 'c', ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 8080 }] }],
    });
    expect(planLab([declared], { prefix: 't-' }).pods[0]).toMatchObject({ tcpPorts: [8080], udpPorts: [53] });
  });

  it('for lab matrix, every pod also serves the probed port: policy decides, not whether a pod listens', () => {
    const declared = pod('a', 'p', '10.0.0.1', {
      containers: [{ name: 'c', ports: [{ containerPort: 53, protocol: 'UDP' }] }],
    });
    const undeclared = pod('a', 'q', '10.0.0.2');
    const tcp = planLab([declared, undeclared], { prefix: 't-', probe: { port: 80, protocol: 'TCP' } });
    expect(tcp.pods.map((p) => [p.tcpPorts, p.udpPorts])).toEqual([
      [[80], [53]],
      [
        [80, 81],
        [80, 81],
      ],
    ]);
    const udp = planLab([declared], { prefix: 't-', probe: { port: 5353, protocol: 'UDP' } });
    expect(udp.pods[0]).toMatchObject({ tcpPorts: [], udpPorts: [53, 5353] });
  });

  it('refuses pods it cannot build, naming every one', () => {
    expect(() =>
      planLab([pod('a', 'host', '10.0.0.1', { hostNetwork: true }), pod('a', 'new', '')], { prefix: 't-' }),
    ).toThrow(/a\/host uses hostNetwork.*a\/new has no status.podIP/);
  });

  it('adds a canary per node, a prober and the sync policy when asked', () => {
    const plan = planLab(
      [pod('a', 'p', '10.0.0.1', { nodeName: 'n1' }), pod('a', 'q', '10.0.0.2', { nodeName: 'n2' })],
      {
        prefix: 't-',
        syncCanaries: true,
      },
    );
    expect(plan.canaries.map((c) => [c.name, c.node, c.canary])).toEqual([
      ['target-0', 'n1', 'target'],
      ['target-1', 'n2', 'target'],
      ['prober', 'n1', 'prober'],
    ]);
    expect(
      plan.objects.filter((o) => (o.metadata as { namespace?: string }).namespace === SYNC_NAMESPACE),
    ).toHaveLength(4);
    expect(plan.pods).toHaveLength(2);
  });
});
