/**
 * `/netpol show` with policies in audit mode (issue 10): listed apart under one "In audit mode (not
 * enforced)" heading, with their window, and left out of the isolation lines. Pinned by test/golden/slack/show-audit.json
 * (`UPDATE_GOLDEN=1 npx jest src/adapters/slack/render/show-namespace-audit` rewrites it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AUDIT_ANNOTATION } from '../../../core/k8s/audit-mode';
import type { NetworkPolicy } from '../../../core/k8s/types';
import { summariseNamespace } from '../../../core/query/namespace-summary';
import { policy } from '../../../../test/support/cluster-builders';
import {
  allowPolicy,
  APPROVER,
  cluster,
  NOW,
  REQUESTER,
} from '../../../../test/support/slack-render-fixtures';
import { messageProblems } from './check-message';
import { renderShowNamespace } from './show-namespace';

const GOLDEN = path.resolve(__dirname, '../../../../test/golden/slack/show-audit.json');

function inAudit(p: NetworkPolicy, window: string): NetworkPolicy {
  return {
    ...p,
    metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, [AUDIT_ANNOTATION]: window } },
  };
}

const AUDIT_DENY = inAudit(
  {
    ...policy('backend/netpol-deny-all-in-backend-0f1e2d3c', {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    }),
    metadata: {
      namespace: 'backend',
      name: 'netpol-deny-all-in-backend-0f1e2d3c',
      labels: { 'app.kubernetes.io/managed-by': 'netpol' },
      annotations: {
        'netpol.io/command': 'deny all in backend --audit 1h',
        'netpol.io/requester': REQUESTER,
        'netpol.io/approver': APPROVER,
      },
    },
  },
  '1h',
);
const HAND_WRITTEN = inAudit(policy('backend/hand-written', { podSelector: {} }), 'until friday');

describe('show with policies in audit mode', () => {
  const state = cluster([allowPolicy({ approver: APPROVER }), AUDIT_DENY, HAND_WRITTEN]);

  it('lists them apart, and they isolate nothing', () => {
    const summary = summariseNamespace(state, 'backend');
    expect(summary.policies.map((p) => p.policy.metadata.name)).toEqual([
      'netpol-allow-frontend-nginx-to-all-1a2b3c4d',
    ]);
    expect(summary.auditPolicies.map((p) => [p.policy.metadata.name, p.audit.window])).toEqual([
      ['hand-written', 'until friday'],
      ['netpol-deny-all-in-backend-0f1e2d3c', '1h'],
    ]);
    // Only the enforced allow isolates (ingress); the audit deny-all would isolate egress too.
    expect(summary.egress.isolated).toEqual([]);
    expect(summary.ingress.open).toEqual([]);
  });

  it('renders them under one "In audit mode (not enforced)" heading, with the window (golden file)', () => {
    const messages = renderShowNamespace({
      cluster: 'prod-eu',
      namespace: 'backend',
      state,
      now: NOW,
      user: REQUESTER,
    });
    for (const m of messages) expect(messageProblems(m)).toEqual([]);
    const text = JSON.stringify(messages);
    expect(text).toContain(
      '*In audit mode (not enforced)*: nothing is dropped because of these; what they would block is reported in the thread of their request when the window ends\\n• `backend/hand-written` (window',
    );
    expect(text).toContain('• `backend/netpol-deny-all-in-backend-0f1e2d3c` (window 1h)');
    // Said once, by the heading, not again on each line.
    expect(text.match(/in audit mode \(not enforced\)/gi)).toHaveLength(1);
    expect(text).toContain('4 pods, 1 NetworkPolicy and 2 in audit mode');
    const actual = `${JSON.stringify(messages, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(GOLDEN, actual);
    expect(actual).toBe(fs.readFileSync(GOLDEN, 'utf8'));
  });
});

describe('show with more policies in audit mode than one page holds', () => {
  it('opens every page that continues the audit list by saying the policies there are in audit mode', () => {
    const many = Array.from({ length: 120 }, (_, i) =>
      inAudit(
        policy(`backend/audit-${String(i).padStart(3, '0')}-${'x'.repeat(40)}`, {
          podSelector: { matchLabels: { app: `app-${i}` } },
          policyTypes: ['Ingress'],
        }),
        '1h',
      ),
    );
    const messages = renderShowNamespace({
      cluster: 'prod-eu',
      namespace: 'backend',
      state: cluster([allowPolicy({ approver: APPROVER }), ...many]),
      now: NOW,
      user: REQUESTER,
    });
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(messageProblems(m)).toEqual([]);
    const texts = messages.map((m) => JSON.stringify(m.blocks));
    // The heading is on the first page only; each later page says what its lines are.
    expect(texts[0]).toContain('*In audit mode (not enforced)*: nothing is dropped');
    for (const later of texts.slice(1)) {
      expect(later).toContain('continued');
      expect(later).toContain('policies *in audit mode (not enforced)*');
      expect(later).toContain('backend/audit-');
    }
  });
});
