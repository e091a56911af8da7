import type { AlertRecord } from '../../adapters/redis/alert-store';
import { buildPolicyIndex } from '../../core/evaluator';
import { clusterState, pod, policy } from '../../../test/support/cluster-builders';
import { alertInput, alertView, channelFor, explainDrop, nearestName } from './alert-view';

const state = clusterState({
  pods: [
    pod('frontend/nginx-frontend', { labels: { app: 'nginx' }, ip: '10.244.1.10' }),
    pod('backend/nginx-backend', { labels: { app: 'nginx' }, ip: '10.244.2.20' }),
  ],
  policies: [
    policy('backend/default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }),
    policy('backend/allow-db', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        { to: [{ ipBlock: { cidr: '192.0.2.0/24' } }] },
        { to: [{ ipBlock: { cidr: '192.0.0.0/16' } }] },
      ],
    }),
  ],
});
const index = buildPolicyIndex(state);

const record: AlertRecord = {
  id: 'w-1',
  group: {
    cluster: 'prod',
    direction: 'ingress',
    source: { kind: 'workload', namespace: 'frontend', name: 'nginx', selector: { app: 'nginx' } },
    destination: { kind: 'workload', namespace: 'backend', name: 'nginx', selector: { app: 'nginx' } },
    port: 80,
    protocol: 6,
  },
  windowStart: Date.parse('2026-12-02T10:00:00Z'),
  windowEnd: Date.parse('2026-12-02T10:05:00Z'),
  count: 1204,
  nodes: ['node-a', 'node-b', 'node-c'],
  firstAt: '2026-12-02T10:00:01Z',
  lastAt: '2026-12-02T10:04:59Z',
  sample: {
    sourcePod: { namespace: 'frontend', name: 'nginx-frontend' },
    destinationPod: { namespace: 'backend', name: 'nginx-backend' },
    source: '10.244.1.10',
    destination: '10.244.2.20',
    reason: 'NO_RULE_INGRESS',
  },
};

describe('routing', () => {
  const alerts = { defaultChannel: 'C0DEFAULT', channels: { backend: 'C0BACKEND' } };
  it('sends an alert to the channel of the namespace whose policy dropped it, else the default', () => {
    expect(channelFor(alerts, record.group)).toBe('C0BACKEND');
    expect(channelFor(alerts, { ...record.group, direction: 'egress' })).toBe('C0DEFAULT');
    expect(
      channelFor(alerts, { ...record.group, destination: { kind: 'address', address: '10.0.0.1' } }),
    ).toBe('C0DEFAULT');
  });
});

describe('the words of an alert', () => {
  it('names the isolating policy and the evaluator says why no rule matched', () => {
    const input = alertInput({ record, state, index, windowMs: 300_000 });
    expect(input.blockedBy).toEqual(['default-deny-ingress']);
    expect(input.reason).toBe(
      'isolated for ingress by backend/default-deny-ingress; it has no ingress rule, so no ingress is allowed',
    );
    expect(input.source).toBe('frontend/nginx');
    expect(input.port).toBe('tcp/80');
  });

  it('says so when the policies allow the flow now', () => {
    const open = clusterState({ pods: state.pods });
    expect(explainDrop(record, open, buildPolicyIndex(open)).reason).toMatch(/^the policies allow it now/);
    expect(explainDrop(record, undefined, undefined).reason).toMatch(/no cluster snapshot yet/);
  });

  it('offers Request allow while the flow is blocked, not once the policies allow it, and again when blocked again', () => {
    const open = clusterState({ pods: state.pods });
    const blocked = alertInput({ record, state, index, windowMs: 300_000, requestAllow: 'prod/w-1' });
    expect(blocked.requestAllow).toBe('prod/w-1');
    const allowed = alertInput({
      record,
      state: open,
      index: buildPolicyIndex(open),
      windowMs: 300_000,
      requestAllow: 'prod/w-1',
    });
    expect(allowed.reason).toMatch(/^the policies allow it now/);
    expect(allowed.requestAllow).toBeUndefined();
    // Each message is rendered whole: blocked again, the button is back.
    expect(
      alertInput({ record, state, index, windowMs: 300_000, requestAllow: 'prod/w-1' }).requestAllow,
    ).toBe('prod/w-1');
    // ICMP: nothing to allow, whatever the policies say.
    const icmp = { ...record, group: { ...record.group, protocol: 1, port: 0 } };
    expect(
      alertInput({ record: icmp, state, index, windowMs: 300_000, requestAllow: 'x' }).requestAllow,
    ).toBe(undefined);
  });

  it('a snapshot older than the drop that allows the flow does not clear it: the blame is unknown, to be re-checked', () => {
    const open = clusterState({ pods: state.pods });
    const input = {
      record,
      state: open,
      index: buildPolicyIndex(open),
      windowMs: 300_000,
      requestAllow: 'prod/w-1',
    };
    // Written a second before the group's last drop: the policy that dropped it may be missing.
    const stale = alertView({ ...input, snapshotAt: '2026-12-02T10:04:58Z' });
    expect(stale).toMatchObject({ blame: 'unknown', stale: true });
    expect(stale.alert.reason).toMatch(
      /^the workers' view of the cluster \(from 2026-12-02 10:04 UTC\) is older than the drop/,
    );
    expect(stale.alert.requestAllow).toBe('prod/w-1');
    // Written after it: the policies do allow it now.
    const current = alertView({ ...input, snapshotAt: '2026-12-02T10:05:00Z' });
    expect(current).toMatchObject({ blame: 'allowed', stale: false });
    expect(current.alert.requestAllow).toBeUndefined();
    // A blocking snapshot names the policy, however old.
    expect(alertView({ ...input, state, index, snapshotAt: '2026-12-02T09:00:00Z' })).toMatchObject({
      blame: 'blocked',
      alert: { blockedBy: ['default-deny-ingress'] },
    });
    expect(alertView({ ...input, state: undefined, index: undefined })).toMatchObject({
      blame: 'unknown',
      stale: true,
    });
  });

  it('shows an outside address with the nearest name the cluster knows', () => {
    expect(nearestName(state, '192.0.2.9')).toBe('in 192.0.2.0/24 of backend/allow-db');
    expect(nearestName(state, '10.244.1.10')).toBe('frontend/nginx');
    expect(nearestName(state, '198.51.100.1')).toBeUndefined();
    const outside = alertInput({
      record: { ...record, group: { ...record.group, source: { kind: 'address', address: '192.0.2.9' } } },
      state,
      index,
      windowMs: 300_000,
    });
    expect(outside.source).toBe('192.0.2.9 (in 192.0.2.0/24 of backend/allow-db)');
  });
});
