import { clusterState, namespace, pod } from '../../../test/support/cluster-builders';
import { AUDIT_ANNOTATION, isAuditPolicy } from '../k8s/audit-mode';
import { formatRequest } from '../request/format-request';
import { parseRequest } from '../request/parser';
import { isPolicyRequest } from '../request/request';
import { planRequest } from '../use-cases/plan-request';
import { asEnforced, auditWindowOf } from './audit-policies';
import { buildPolicies } from './build-policies';
import { describeEffect } from './describe-effect';
import { renderPolicies } from './render-policies';

const STATE = clusterState({
  namespaces: [namespace('frontend'), namespace('backend')],
  pods: [
    pod('frontend/web', { labels: { app: 'web' }, ip: '10.0.1.1' }),
    pod('backend/api', { labels: { app: 'api' }, ip: '10.0.2.1' }),
    pod('backend/db', { labels: { app: 'db' }, ip: '10.0.2.2' }),
  ],
});

function plan(text: string, state = STATE) {
  const result = planRequest(text, state);
  if (result.kind !== 'policies') throw new Error(`not a change: ${text}`);
  return result;
}

describe('policies of an --audit request', () => {
  it('carry netpol.io/audit with the window, and the command keeps --audit', () => {
    const { command, policies } = plan('deny all in backend except dns --audit 1h');
    expect(command).toBe('deny all in backend except dns --audit 1h');
    expect(policies).toHaveLength(1);
    expect(policies[0]!.metadata.annotations).toMatchObject({
      [AUDIT_ANNOTATION]: '1h',
      'netpol.io/command': 'deny all in backend except dns --audit 1h',
    });
    expect(renderPolicies(policies, 'yaml')).toContain('netpol.io/audit: 1h');
    const allow = plan('allow frontend/app=web to backend/app=api on 8080 both-sides --audit 30m').policies;
    expect(allow).toHaveLength(2);
    expect(allow.every((p) => p.metadata.annotations?.[AUDIT_ANNOTATION] === '30m')).toBe(true);
  });

  it('are named like the enforced twin, whose objects differ only by the annotation and the command', () => {
    const audit = plan('deny all in backend --audit 2d').policies;
    const enforced = plan('deny all in backend').policies;
    expect(audit.map((p) => p.metadata.name)).toEqual(enforced.map((p) => p.metadata.name));
    expect(audit).not.toEqual(enforced);
    expect(asEnforced(audit)).toEqual(enforced);
    expect(enforced[0]!.metadata.annotations).not.toHaveProperty(AUDIT_ANNOTATION);
    expect(auditWindowOf(audit)).toBe('2d');
    expect(auditWindowOf(enforced)).toBeUndefined();
  });

  it('leave requests without --audit unannotated', () => {
    const request = parseRequest('isolate backend');
    if (!isPolicyRequest(request)) throw new Error('not a policy request');
    const policies = buildPolicies(request, { command: formatRequest(request) });
    expect(policies.some(isAuditPolicy)).toBe(false);
  });
});

describe('the effect of an --audit request', () => {
  it('says nothing drops, when the report comes, that enforcing is a new approval, and what it would block', () => {
    const { policies } = plan('deny ingress in backend --audit 1h');
    expect(describeEffect(policies, STATE)).toBe(
      'Audit mode for 1h: nothing will be dropped; what this policy would block is reported in the thread ' +
        'after 1h; enforcing it is a new approval. If enforced: isolates 2 pods in backend for ingress; ' +
        'backend is isolated for ingress today: no; 4 connections that work today would stop ' +
        '(backend/db -> backend/api TCP/80, frontend/web -> backend/api TCP/80, backend/api -> backend/db TCP/80 and 1 more)',
    );
    const enforced = plan('deny ingress in backend').policies;
    expect(describeEffect(enforced, STATE)).toContain('4 connections that work today will stop');
  });

  it('says so without a cluster state too, for several policies', () => {
    const { policies } = plan('allow frontend/app=web to backend/app=api both-sides --audit 90s', undefined);
    expect(describeEffect(policies, undefined)).toMatch(
      /^Audit mode for 90s: nothing will be dropped; what these policies would block is reported in the thread after 90s; enforcing it is a new approval\. If enforced: cluster state unknown; /,
    );
  });

  it('treats audit policies already in the cluster as not enforced: enforcing them cuts what they would', () => {
    const audited = plan('deny ingress in backend --audit 1h').policies;
    const state = { ...STATE, policies: audited };
    const enforced = plan('deny ingress in backend', state).policies;
    expect(describeEffect(enforced, state)).toContain(
      'backend is isolated for ingress today: no; 4 connections that work today will stop',
    );
    expect(describeEffect(audited, state, { action: 'revoke' })).toBe(
      `removes ${audited[0]!.metadata.namespace}/${audited[0]!.metadata.name}, which is in audit mode and enforces nothing (no connection changes)`,
    );
  });

  it('warns as if enforced, saying "once enforced"', () => {
    const { warnings } = plan('deny egress in backend --audit 1h');
    expect(warnings.map((w) => w.code)).toEqual(['W001_NEW_ISOLATION', 'W002_DNS_BLOCKED']);
    for (const w of warnings) expect(w.message).toMatch(/^once enforced, /);
    const state = { ...STATE, policies: plan('deny egress in backend --audit 1h').policies };
    // The audit policy isolates nothing yet: enforcing it still warns about the new isolation.
    expect(plan('deny egress in backend', state).warnings.map((w) => w.code)).toEqual([
      'W001_NEW_ISOLATION',
      'W002_DNS_BLOCKED',
    ]);
  });
});
