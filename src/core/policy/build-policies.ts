/**
 * Request -> finished NetworkPolicy objects (networking.k8s.io/v1): planned, named, stamped with
 * provenance (and, for `--audit`, the audit annotation) and validated as the API server would. Refuses to produce an object whose name is taken
 * by a policy netpol does not own.
 */
import { NetpolError } from '../errors';
import type { NetworkPolicy } from '../k8s/types';
import type { PolicyRequest } from '../request/request';
import type { ClusterState } from '../state/cluster-state';
import { auditAnnotations } from './audit-policies';
import { DEFAULT_KEYWORD_OPTIONS, type KeywordOptions } from './keywords';
import { planPolicies } from './plan-policies';
import { policyName } from './policy-name';
import { isManagedByNetpol, provenanceMetadata, type Provenance } from './provenance';
import { readNetworkPolicy } from '../k8s/read-network-policy';

export interface BuildOptions {
  /** The canonical form of the request, recorded on every object. */
  command: string;
  provenance?: Provenance;
  state?: ClusterState;
  keywords?: KeywordOptions;
}

export function buildPolicies(request: PolicyRequest, options: BuildOptions): NetworkPolicy[] {
  const planned = planPolicies(request, {
    keywords: options.keywords ?? DEFAULT_KEYWORD_OPTIONS,
    ...(options.state === undefined ? {} : { state: options.state }),
  });
  const provenance = provenanceMetadata(options.command, options.provenance ?? {});
  const labels = provenance.labels;
  const annotations = { ...provenance.annotations, ...auditAnnotations(request) };
  const policies = planned.map((plan): NetworkPolicy => {
    const policy: NetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: policyName(plan.nameHint, plan.namespace, plan.spec),
        namespace: plan.namespace,
        labels: { ...labels },
        annotations: { ...annotations },
      },
      spec: plan.spec,
    };
    const { problems } = readNetworkPolicy(policy);
    if (problems.length > 0) {
      throw new NetpolError(
        'E_INVALID_VALUE',
        `the policy for ${plan.namespace} would be invalid: ${problems.join('; ')}`,
      );
    }
    return policy;
  });
  if (options.state !== undefined) assertNotOverwritingOthers(policies, options.state);
  return policies;
}

function assertNotOverwritingOthers(policies: readonly NetworkPolicy[], state: ClusterState): void {
  for (const policy of policies) {
    const existing = state.policies.find(
      (p) => p.metadata.namespace === policy.metadata.namespace && p.metadata.name === policy.metadata.name,
    );
    if (existing !== undefined && !isManagedByNetpol(existing)) {
      throw new NetpolError(
        'E_NOT_OWNED',
        `policy ${policy.metadata.namespace}/${policy.metadata.name} exists and is not managed by netpol`,
        { hint: 'netpol never edits policies it does not own; rename or remove that policy' },
      );
    }
  }
}
