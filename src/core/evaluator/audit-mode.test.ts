import { AUDIT_ANNOTATION } from '../k8s/audit-mode';
import type { NetworkPolicy } from '../k8s/types';
import type { ClusterState } from '../state/cluster-state';
import { buildPolicyIndex, compilePodIngress, computeMatrix, evaluateConnection } from './index';
import { clusterState, pod, policy } from '../../../test/support/cluster-builders';

function inAudit(p: NetworkPolicy, window = '1h'): NetworkPolicy {
  return { ...p, metadata: { ...p.metadata, annotations: { [AUDIT_ANNOTATION]: window } } };
}

const pods = [
  pod('backend/api', { labels: { app: 'api' }, ip: '10.1.0.1' }),
  pod('backend/db', { labels: { app: 'db' }, ip: '10.1.0.2' }),
  pod('frontend/web', { labels: { app: 'web' }, ip: '10.2.0.1' }),
];
const apiToDb = policy('backend/db-from-api', {
  podSelector: { matchLabels: { app: 'db' } },
  ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }],
});
const denyAll = policy('backend/deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

/** Every (from, to) verdict of the matrix, on the ports the tests care about. */
function verdicts(state: ClusterState): boolean[][] {
  const index = buildPolicyIndex(state);
  const matrix = computeMatrix(index, { port: 80, protocol: 'TCP' });
  return matrix.pods.map((_, from) => matrix.pods.map((__, to) => matrix.allowed(from, to)));
}

describe('policies in audit mode take no part in verdicts', () => {
  const without = clusterState({ pods, policies: [apiToDb] });
  const withAudit = clusterState({ pods, policies: [apiToDb, inAudit(denyAll)] });
  const enforced = clusterState({ pods, policies: [apiToDb, denyAll] });

  it('the matrix with an audit deny-all equals the matrix without it', () => {
    expect(verdicts(withAudit)).toEqual(verdicts(without));
    // ...while the same policy enforced does change it (the test would catch nothing otherwise).
    expect(verdicts(enforced)).not.toEqual(verdicts(without));
  });

  it('is not indexed, named by no verdict, and compiles to the same per-pod sides', () => {
    const index = buildPolicyIndex(withAudit);
    expect(index.policies.map((p) => p.key)).toEqual(['backend/db-from-api']);
    const api = index.pods[index.podNumber.get('backend/api')!]!;
    const web = index.pods[index.podNumber.get('frontend/web')!]!;
    const verdict = evaluateConnection(
      index,
      { kind: 'pod', pod: web },
      { kind: 'pod', pod: api },
      80,
      'TCP',
    );
    expect(verdict.allowed).toBe(true);
    expect(JSON.stringify(verdict)).not.toContain('deny-all');
    const plain = buildPolicyIndex(without);
    for (const key of ['backend/api', 'backend/db', 'frontend/web']) {
      const one = index.pods[index.podNumber.get(key)!]!;
      expect(compilePodIngress(index, one)).toEqual(compilePodIngress(plain, one));
    }
  });

  it('reads any value of the annotation as audit mode, even one that is not a window', () => {
    const odd = clusterState({ pods, policies: [apiToDb, inAudit(denyAll, 'until friday')] });
    expect(verdicts(odd)).toEqual(verdicts(without));
  });
});
