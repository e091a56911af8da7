/**
 * The policyTypes a NetworkPolicy really has. The API server defaults an absent or empty list to
 * ["Ingress"], plus "Egress" when the policy has egress rules (networking/v1 SetDefaults); so a policy
 * written without policyTypes isolates ingress even if it only lists egress rules.
 */
import { selectorMatches } from './label-selector';
import type { Labels, NetworkPolicy, PolicyType } from './types';

export function effectivePolicyTypes(policy: NetworkPolicy): PolicyType[] {
  const declared = policy.spec.policyTypes;
  if (declared !== undefined && declared.length > 0) return declared;
  return (policy.spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** Policies of `namespace` that select a pod with these labels for `direction`. */
export function policiesIsolating(
  policies: readonly NetworkPolicy[],
  pod: { namespace: string; labels: Labels; hostNetwork?: boolean },
  direction: PolicyType,
): NetworkPolicy[] {
  if (pod.hostNetwork === true) return [];
  return policies.filter(
    (p) =>
      p.metadata.namespace === pod.namespace &&
      effectivePolicyTypes(p).includes(direction) &&
      selectorMatches(p.spec.podSelector, pod.labels),
  );
}
