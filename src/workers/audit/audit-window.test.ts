import type { NetworkPolicy } from '../../core/k8s/types';
import { auditPoliciesOf, auditReportDue, policyKey } from './audit-window';

function policy(name: string, audit?: string): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name,
      namespace: 'backend',
      annotations: audit === undefined ? {} : { 'netpol.io/audit': audit },
    },
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  };
}

describe('auditReportDue', () => {
  it('is due after the longest window of the audit policies', () => {
    const record = {
      action: 'apply' as const,
      policies: [policy('a', '30m'), policy('b', '1h'), policy('c')],
    };
    expect(auditReportDue(record)).toEqual({ kind: 'due', window: '1h', windowMs: 3_600_000 });
    expect(auditPoliciesOf(record).map(policyKey)).toEqual(['backend/a', 'backend/b']);
  });

  it('is not due without audit policies, nor for a revoke', () => {
    expect(auditReportDue({ action: 'apply', policies: [policy('a')] })).toEqual({ kind: 'none' });
    expect(auditReportDue({ action: 'revoke', policies: [policy('a', '1h')] })).toEqual({ kind: 'none' });
  });

  it('names a window that is not a duration (audit mode, no report)', () => {
    expect(auditReportDue({ action: 'apply', policies: [policy('a', 'soon'), policy('b', '1h')] })).toEqual({
      kind: 'not-a-duration',
      windows: ['soon'],
    });
  });
});
