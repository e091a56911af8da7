/**
 * The cluster as it is enforced: the same state without the NetworkPolicies in audit mode (issue 10,
 * core/k8s/audit-mode.ts), which the node agents do not enforce. Everything that judges traffic from
 * a ClusterState (the evaluator's index, isolation in show and in the planner, the warnings) reads it
 * through this one view, so an audit policy never changes a verdict. Pure; the view of a state without
 * audit policies is the state itself.
 */
import { isAuditPolicy } from '../k8s/audit-mode';
import type { NetworkPolicy } from '../k8s/types';
import type { ClusterState } from './cluster-state';

export function enforcedState(state: ClusterState): ClusterState {
  if (!state.policies.some(isAuditPolicy)) return state;
  return { ...state, policies: state.policies.filter((p) => !isAuditPolicy(p)) };
}

/** The state's policies in audit mode, in the state's order. */
export function auditPolicies(state: ClusterState): NetworkPolicy[] {
  return state.policies.filter(isAuditPolicy);
}
