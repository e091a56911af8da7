import type { RequestRecord } from '../contracts/request-record';
import { RequestYaml } from '../contracts/request-yaml';
import { renderPolicies } from '../core/policy/render-policies';
import { outcomeJobs } from './outcome-message';

const NOW = '2026-11-22T10:05:00.000Z';

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 'r-abcdefghijklmnop',
    cluster: 'prod',
    action: 'apply',
    text: 'allow frontend nginx to backend',
    command: 'allow frontend/app=nginx to backend/* on any',
    requester: 'U0ALICE001',
    requestChannel: 'C0NETPOLOPS',
    namespaces: ['backend'],
    policies: [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'netpol-allow-x', namespace: 'backend' },
        spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [] },
      },
    ],
    policyHash: 'h',
    effect: 'e',
    warnings: [],
    state: 'applied',
    createdAt: '2026-11-22T10:00:00.000Z',
    expiresAt: '2026-11-23T10:00:00.000Z',
    approvalChannel: 'C0APPROVALS',
    approvalTs: '1700000000.000100',
    decidedBy: 'U0BOB00002',
    decidedAt: '2026-11-22T10:01:00.000Z',
    appliedAt: NOW,
    ...overrides,
  };
}

describe('outcomeJobs', () => {
  it('replies in the approval thread and edits the card to its final state, without buttons', () => {
    const [reply, card] = outcomeJobs(record(), NOW);
    expect(reply).toMatchObject({ kind: 'post', channel: 'C0APPROVALS', threadTs: '1700000000.000100' });
    expect(JSON.stringify(reply?.blocks)).toContain('backend/netpol-allow-x');
    expect(card).toMatchObject({ kind: 'update', channel: 'C0APPROVALS', ts: '1700000000.000100' });
    const cardText = JSON.stringify(card);
    expect(cardText).toMatch(/Applied/);
    expect(cardText).not.toContain('"type":"button"');
  });

  it('names the API reason on failure, escaped for Slack', () => {
    const [reply] = outcomeJobs(record({ state: 'failed', reason: 'Forbidden: <user> & "x"' }), NOW);
    const text = JSON.stringify(reply);
    expect(text).toContain('Forbidden: &lt;user&gt; &amp;');
    expect(text).not.toContain('<user>');
  });

  it('posts in the request channel when no approval message is known', () => {
    const jobs = outcomeJobs(record({ approvalChannel: undefined, approvalTs: undefined }), NOW);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ kind: 'post', channel: 'C0NETPOLOPS' });
    expect(jobs[0]).not.toHaveProperty('threadTs');
  });

  it('shows the stored YAML only as the rendering of the stored policies (a worker renders them once)', () => {
    let renders = 0;
    const requestYaml = new RequestYaml({
      render: (policies) => {
        renders += 1;
        return renderPolicies(policies, 'yaml');
      },
    });
    const yaml = renderPolicies(record().policies, 'yaml');
    const altered = `${yaml}ALTERED-IN-REDIS: true\n`;
    const [, card] = outcomeJobs(record({ yaml: altered }), NOW, requestYaml);
    expect(JSON.stringify(card)).not.toContain('ALTERED-IN-REDIS');
    expect(JSON.stringify(card)).toContain('podSelector');
    expect(renders).toBe(1);
    // Then this process knows that rendering: the same policies are not rendered again.
    outcomeJobs(record({ yaml }), NOW, requestYaml);
    outcomeJobs(record({ yaml }), NOW, requestYaml);
    expect(renders).toBe(1);
  });
});
