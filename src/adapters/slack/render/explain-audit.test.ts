import { buildPolicyIndex } from '../../../core/evaluator';
import { AUDIT_ANNOTATION } from '../../../core/k8s/audit-mode';
import { canReachVerdicts } from '../../../core/query/answer-query';
import { parseRequest } from '../../../core/request/parser';
import type { CanReachQuery } from '../../../core/request/request';
import { clusterState, pod, policy } from '../../../../test/support/cluster-builders';
import { messageProblems } from './check-message';
import { renderExplain } from './explain';

describe('/netpol explain with a policy in audit mode (issue 10)', () => {
  it('gives the verdict without it, then says it would block the connection', () => {
    const deny = policy('backend/deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
    deny.metadata.annotations = { [AUDIT_ANNOTATION]: '1h' };
    const state = clusterState({
      pods: [
        pod('frontend/web', { labels: { app: 'web' }, ip: '10.0.1.1' }),
        pod('backend/api', { labels: { app: 'api' }, ip: '10.0.2.1' }),
      ],
      policies: [deny],
    });
    const request = parseRequest('can frontend/web reach backend/api on 80') as CanReachQuery;
    const message = renderExplain({
      cluster: 'prod-eu',
      verdicts: canReachVerdicts(request, state, buildPolicyIndex(state)),
    });
    expect(messageProblems(message)).toEqual([]);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain(':white_check_mark: *allowed*');
    expect(text).toContain(':mag_right: backend/deny-all is in audit mode and would block it once enforced');
    expect(text).toContain('no enforced NetworkPolicy selects backend/api');
  });
});
