import { AUDIT_ANNOTATION } from '../core/k8s/audit-mode';
import { summariseNamespace } from '../core/query/namespace-summary';
import { policy } from '../../test/support/cluster-builders';
import { cluster, DEFAULT_DENY } from '../../test/support/slack-render-fixtures';
import { renderShowText } from './show-text';

describe('netpol show with a policy in audit mode (issue 10)', () => {
  it('lists it apart with its window, and it isolates nothing', () => {
    const deny = policy('backend/deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    deny.metadata.annotations = { [AUDIT_ANNOTATION]: '1h' };
    const text = renderShowText(summariseNamespace(cluster([DEFAULT_DENY, deny]), 'backend'));
    expect(text).toContain('Namespace backend: 4 pods, 1 NetworkPolicy and 1 in audit mode\n');
    expect(text).toContain('Egress: no pod isolated: all egress is allowed');
    expect(text).toContain('\nIn audit mode (not enforced)\n- backend/deny-all (window 1h), 3 pods: ');
    // Said once, by the heading, not again on each line.
    expect(text.match(/in audit mode \(not enforced\)/gi)).toHaveLength(1);
  });
});
