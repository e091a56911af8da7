import { HEARTBEAT_VERSION, type Heartbeat } from '../contracts/heartbeat';
import { AUDIT_ANNOTATION } from '../core/k8s/audit-mode';
import type { NetworkPolicy } from '../core/k8s/types';
import { auditAgentNote } from './audit-agent-note';

const NOW = new Date('2030-01-01T00:01:00.000Z');
const policy = (annotations: Record<string, string> = {}): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'deny-all', namespace: 'backend', annotations },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
});
const audited = [policy({ [AUDIT_ANNOTATION]: '1h' })];
const beat = (overrides: Partial<Heartbeat> = {}): Heartbeat => ({
  v: HEARTBEAT_VERSION,
  kind: 'agent',
  id: 'node-a',
  version: '0.1.0',
  cluster: 'prod',
  node: 'node-a',
  at: '2030-01-01T00:00:55.000Z',
  intervalMs: 10_000,
  inSync: true,
  since: '2030-01-01T00:00:00.000Z',
  queueDepth: 0,
  ...overrides,
});
const note = (policies: NetworkPolicy[], beats: Heartbeat[] | undefined) =>
  auditAgentNote({ cluster: 'prod', policies, beats, now: NOW });

describe('auditAgentNote', () => {
  it('warns an audit request that no node agent of the cluster reports, and what that means', () => {
    const text = note(audited, [beat({ kind: 'worker' }), beat({ cluster: 'staging' })]);
    expect(text).toContain('no netpol node agent reports on cluster prod: audit mode needs them');
    expect(text).toContain(
      'enforces NetworkPolicies itself ignores netpol.io/audit and enforces them once applied',
    );
    // Agents that were there but went silent.
    expect(note(audited, [beat({ at: '2030-01-01T00:00:10.000Z' })])).toContain(
      'reports on cluster prod now:',
    );
  });

  it('says nothing with a live agent, for an enforced request, or when no heartbeats are read', () => {
    expect(note(audited, [beat()])).toBeUndefined();
    expect(note([policy()], [])).toBeUndefined();
    expect(note(audited, undefined)).toBeUndefined();
  });
});
