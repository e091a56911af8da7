import { DROP_EVENT_VERSION, type DropEvent } from '../../contracts/drop-events';
import { aggregateBatch, baseName, groupId, groupOf, portText, windowOf, workloadOf } from './drop-groups';

const pod = (namespace: string, name: string, labels: Record<string, string> = {}) => ({
  namespace,
  name,
  labels,
});

function drop(overrides: Partial<DropEvent> = {}): DropEvent {
  return {
    v: DROP_EVENT_VERSION,
    cluster: 'prod',
    node: 'node-a',
    at: '2026-12-02T10:01:30.000Z',
    pod: pod('backend', 'api-7d4b9c8f5-x2k4q', { app: 'api', 'pod-template-hash': '7d4b9c8f5' }),
    peer: pod('frontend', 'nginx-6c9f8d7b4-abcde', { 'app.kubernetes.io/name': 'nginx', app: 'web' }),
    direction: 'ingress',
    source: '10.244.1.10',
    destination: '10.244.2.20',
    sourcePort: 40000,
    destinationPort: 8080,
    protocol: 6,
    peerAddress: '10.244.1.10',
    reason: 'NO_RULE_INGRESS',
    suppressed: 0,
    ...overrides,
  };
}

describe('workload names', () => {
  it('takes app.kubernetes.io/name first, then app, and keeps that label as the selector', () => {
    expect(workloadOf(pod('frontend', 'x-1', { 'app.kubernetes.io/name': 'nginx', app: 'web' }))).toEqual({
      kind: 'workload',
      namespace: 'frontend',
      name: 'nginx',
      selector: { 'app.kubernetes.io/name': 'nginx' },
    });
    expect(workloadOf(pod('backend', 'x-1', { app: 'api', tier: 'web' })).selector).toEqual({ app: 'api' });
  });

  it("falls back to the pod's name without the generated suffix, selecting by its own labels", () => {
    expect(baseName('web-7d4b9c8f5-x2k4q')).toBe('web');
    expect(baseName('node-exporter-x2k4q')).toBe('node-exporter');
    expect(baseName('postgres')).toBe('postgres');
    const workload = workloadOf(
      pod('db', 'cache-5f6d7c8b9-qwert', { role: 'cache', 'pod-template-hash': '5f6d7c8b9' }),
    );
    expect(workload.name).toBe('cache');
    expect({ ...workload.selector }).toEqual({ role: 'cache' });
  });
});

describe('drop groups', () => {
  it('groups an ingress drop as peer -> pod, with the port and protocol seen', () => {
    const { group, sample } = groupOf(drop());
    expect(group).toMatchObject({
      direction: 'ingress',
      source: { kind: 'workload', namespace: 'frontend', name: 'nginx' },
      destination: { kind: 'workload', namespace: 'backend', name: 'api' },
      port: 8080,
      protocol: 6,
    });
    expect(portText(group)).toBe('tcp/8080');
    expect(sample).toMatchObject({
      sourcePod: { namespace: 'frontend' },
      destinationPod: { namespace: 'backend' },
    });
  });

  it('an egress drop to an address outside the cluster keeps the address', () => {
    const { group } = groupOf(
      drop({
        direction: 'egress',
        pod: pod('backend', 'api-1', { app: 'api' }),
        peer: null,
        source: '10.244.2.20',
        destination: '203.0.113.7',
        peerAddress: '203.0.113.7',
        destinationPort: 443,
      }),
    );
    expect(group.source).toMatchObject({ kind: 'workload', name: 'api' });
    expect(group.destination).toEqual({ kind: 'address', address: '203.0.113.7' });
  });

  it('ignores the source port (each connection has its own) but not the destination port', () => {
    const a = groupOf(drop({ sourcePort: 1 })).group;
    const b = groupOf(drop({ sourcePort: 2, node: 'node-b' })).group;
    const c = groupOf(drop({ destinationPort: 9090 })).group;
    expect(groupId(a, 0)).toBe(groupId(b, 0));
    expect(groupId(a, 0)).not.toBe(groupId(c, 0));
    expect(groupId(a, 0)).not.toBe(groupId(a, 300_000));
  });

  it('aggregates a batch per group and window, counting suppressed drops, and sets aside what it cannot read', () => {
    const { groups, entries, unreadable, badEvents } = aggregateBatch(
      [
        { entryId: '1-0', events: [drop()] },
        { entryId: '2-0', events: [drop({ node: 'node-b', suppressed: 4 })] },
        { entryId: '3-0', events: [drop({ at: '2026-12-02T10:07:00.000Z' })] },
        { entryId: '4-0', events: null },
        { entryId: '5-0', events: [drop({ at: 'yesterday' })] },
      ],
      300_000,
    );
    expect(unreadable).toEqual(['4-0', '5-0']);
    expect(badEvents).toBe(1);
    expect(groups).toHaveLength(2);
    expect(entries.map((e) => [e.entryId, e.parts.map((p) => [p.group, p.drops, p.node])])).toEqual([
      ['1-0', [[0, 1, 'node-a']]],
      ['2-0', [[0, 5, 'node-b']]],
      ['3-0', [[1, 1, 'node-a']]],
    ]);
    expect(groups[0]!.windowStart).toBe(windowOf(Date.parse('2026-12-02T10:01:30Z'), 300_000).start);
    expect(new Date(groups[0]!.windowStart).toISOString()).toBe('2026-12-02T10:00:00.000Z');
    expect(new Date(groups[1]!.windowStart).toISOString()).toBe('2026-12-02T10:05:00.000Z');
  });

  it('splits an entry of a batching agent into what it adds to each group, once per node', () => {
    const { groups, entries } = aggregateBatch(
      [
        {
          entryId: '1-0',
          events: [
            drop({ sourcePort: 1, at: '2026-12-02T10:01:31.000Z' }),
            drop({ destinationPort: 9090 }),
            drop({ sourcePort: 2, suppressed: 2, at: '2026-12-02T10:01:29.000Z' }),
            drop({ sourcePort: 3, node: 'node-b' }),
          ],
        },
      ],
      300_000,
    );
    expect(groups.map((g) => g.group.port)).toEqual([8080, 9090]);
    expect(entries[0]!.parts).toEqual([
      {
        group: 0,
        drops: 4,
        node: 'node-a',
        firstAt: '2026-12-02T10:01:29.000Z',
        lastAt: '2026-12-02T10:01:31.000Z',
      },
      {
        group: 1,
        drops: 1,
        node: 'node-a',
        firstAt: '2026-12-02T10:01:30.000Z',
        lastAt: '2026-12-02T10:01:30.000Z',
      },
      {
        group: 0,
        drops: 1,
        node: 'node-b',
        firstAt: '2026-12-02T10:01:30.000Z',
        lastAt: '2026-12-02T10:01:30.000Z',
      },
    ]);
  });
});
