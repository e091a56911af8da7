/**
 * Which directions a NetworkPolicy isolates: its policyTypes after the API server's defaulting.
 *
 * networking.k8s.io/v1 NetworkPolicySpec.policyTypes: "If this field is not specified, it will
 * default based on the existence of ingress or egress rules; policies that contain an egress
 * section are assumed to affect egress, and all policies (whether or not they contain an ingress
 * section) are assumed to affect ingress." The apiserver (SetDefaults_NetworkPolicy) sets
 * ["Ingress"], plus "Egress" when spec.egress has at least one rule; an explicit empty list is
 * defaulted the same way. An explicit list is taken as given, even when rules of the other
 * direction are present (they are then ignored).
 */
import { selectorMatches } from './label-selector';
import type {
  Labels,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicySpec,
  PolicyType,
} from './types';

export function effectivePolicyTypes(spec: NetworkPolicySpec): PolicyType[] {
  const given = spec.policyTypes ?? [];
  if (given.length > 0) {
    const types: PolicyType[] = [];
    if (given.includes('Ingress')) types.push('Ingress');
    if (given.includes('Egress')) types.push('Egress');
    return types;
  }
  return (spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** A rule of either direction, its peers under one name (`from` of ingress, `to` of egress). */
export interface DirectedRule {
  peers?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

/**
 * The rules that count in each direction, in the spec's order: none in a direction the policy does
 * not isolate (rules written for it are ignored, as the API's semantics say).
 */
export function effectiveRules(
  spec: NetworkPolicySpec,
  types: readonly PolicyType[] = effectivePolicyTypes(spec),
): Record<PolicyType, DirectedRule[]> {
  return {
    Ingress: types.includes('Ingress')
      ? (spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
      : [],
    Egress: types.includes('Egress') ? (spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })) : [],
  };
}

/** Policies of the pod's namespace that select it for `direction` (none for hostNetwork pods). */
export function policiesIsolating(
  policies: readonly NetworkPolicy[],
  pod: { namespace: string; labels: Labels; hostNetwork?: boolean },
  direction: PolicyType,
): NetworkPolicy[] {
  if (pod.hostNetwork === true) return [];
  return policies.filter(
    (p) =>
      p.metadata.namespace === pod.namespace &&
      effectivePolicyTypes(p.spec).includes(direction) &&
      selectorMatches(p.spec.podSelector, pod.labels),
  );
}
