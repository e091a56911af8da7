import { clusterState, pod, policy } from '../../../test/support/cluster-builders';
import { buildPolicyIndex } from '../evaluator';
import { AUDIT_ANNOTATION } from '../k8s/audit-mode';
import type { NetworkPolicy } from '../k8s/types';
import { parseRequest } from '../request/parser';
import type { CanReachQuery } from '../request/request';
import type { ClusterState } from '../state/cluster-state';
import { answerQuery, canReachVerdicts } from './answer-query';

function inAudit(p: NetworkPolicy): NetworkPolicy {
  return { ...p, metadata: { ...p.metadata, annotations: { [AUDIT_ANNOTATION]: '1h' } } };
}

const pods = [
  pod('frontend/web', { labels: { app: 'web' }, ip: '10.0.1.1' }),
  pod('backend/api', { labels: { app: 'api' }, ip: '10.0.2.1' }),
];
const denyAll = policy('backend/deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
const allowWeb = policy('backend/allow-web', {
  podSelector: { matchLabels: { app: 'api' } },
  ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'web' } } }] }],
});

function ask(state: ClusterState, text = 'can frontend/app=web reach backend/app=api on 80') {
  const request = parseRequest(text) as CanReachQuery;
  return {
    verdicts: canReachVerdicts(request, state, buildPolicyIndex(state)),
    text: answerQuery(request, state, buildPolicyIndex(state)),
  };
}

describe('can / explain with policies in audit mode', () => {
  it('answers as if they were not there, and says which would block the connection', () => {
    const { verdicts, text } = ask(clusterState({ pods, policies: [inAudit(denyAll)] }));
    expect(verdicts.map((v) => [v.verdict.allowed, v.auditNote])).toEqual([
      [true, 'backend/deny-all is in audit mode and would block it once enforced'],
    ]);
    expect(text).toContain('frontend/web -> backend/api on TCP/80: ALLOWED\n');
    expect(text).toContain('  audit   backend/deny-all is in audit mode and would block it once enforced\n');
  });

  it('says which would allow a denied connection, and says nothing when they change nothing', () => {
    const allowInAudit = ask(clusterState({ pods, policies: [denyAll, inAudit(allowWeb)] })).verdicts;
    expect(allowInAudit.map((v) => [v.verdict.allowed, v.auditNote])).toEqual([
      [false, 'backend/allow-web is in audit mode and would allow it once enforced'],
    ]);
    const same = ask(clusterState({ pods, policies: [allowWeb, inAudit(denyAll)] })).verdicts;
    expect(same.map((v) => [v.verdict.allowed, v.auditNote])).toEqual([[true, undefined]]);
    const none = ask(clusterState({ pods, policies: [denyAll] })).verdicts;
    expect(none[0]).not.toHaveProperty('auditNote');
  });

  it('says no enforced NetworkPolicy selects a pod only policies in audit mode select, and nothing else changes', () => {
    const [only] = ask(clusterState({ pods, policies: [inAudit(denyAll)] })).verdicts;
    expect(only!.verdict.ingress.reason).toBe(
      'not isolated for ingress: no enforced NetworkPolicy selects backend/api, so all ingress is allowed',
    );
    // frontend/web: no policy at all selects it, the evaluator's words.
    expect(only!.verdict.egress.reason).toBe(
      'not isolated for egress: no NetworkPolicy selects frontend/web, so all egress is allowed',
    );
    expect(only!.verdict.summary).toContain(
      'ingress: not isolated for ingress: no enforced NetworkPolicy selects',
    );
    const { text } = ask(clusterState({ pods, policies: [inAudit(denyAll)] }));
    expect(text).toContain('no enforced NetworkPolicy selects backend/api');

    // Without policies in audit mode, or with an enforced one selecting the pod: unchanged.
    const [none] = ask(clusterState({ pods, policies: [] })).verdicts;
    expect(none!.verdict.ingress.reason).toBe(
      'not isolated for ingress: no NetworkPolicy selects backend/api, so all ingress is allowed',
    );
    const elsewhere = policy('frontend/deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
    const [other] = ask(clusterState({ pods, policies: [inAudit(elsewhere)] })).verdicts;
    expect(other!.verdict.ingress.reason).toBe(
      'not isolated for ingress: no NetworkPolicy selects backend/api, so all ingress is allowed',
    );
  });
});
