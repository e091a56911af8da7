/**
 * `show <namespace>` as data: the namespace's pods, whether they are isolated for ingress and egress
 * (and which are not), and each of its policies with the pods it selects, what it does in words
 * (describeSpec) and, for the policies netpol manages, who requested and approved them. The bot's
 * Slack message (adapters/slack/render/show-namespace.ts) and the CLI's `netpol show` render this
 * one summary, so the two answers cannot drift. Policies in audit mode (issue 10) are listed apart
 * and isolate nothing here, as the node agents do not enforce them. Pure.
 */
import { auditModeOf, type AuditMode } from '../k8s/audit-mode';
import { selectorMatches } from '../k8s/label-selector';
import { policiesIsolating } from '../k8s/policy-types';
import type { NetworkPolicy, PolicyType } from '../k8s/types';
import { describeSpec } from '../policy/describe-policy';
import { ANNOTATIONS, isManagedByNetpol, type Provenance } from '../policy/provenance';
import type { ClusterState, PodInfo } from '../state/cluster-state';
import { enforcedState } from '../state/enforced-state';

export interface DirectionIsolation {
  direction: PolicyType;
  /** Pods a policy selects for this direction, by name. */
  isolated: PodInfo[];
  /** Pods no policy selects: all traffic in this direction is allowed. */
  open: PodInfo[];
  /** hostNetwork pods, which NetworkPolicy never isolates. */
  hostNetwork: number;
}

export interface PolicySummary {
  policy: NetworkPolicy;
  /** Pods of the namespace its podSelector selects (hostNetwork pods excluded). */
  selectedPods: number;
  /** describeSpec: what it does, in words. */
  description: string;
  /** Undefined when netpol does not manage the policy. */
  provenance?: Pick<Provenance, 'requester' | 'approver' | 'requestId' | 'createdAt'>;
}

/** A policy in audit mode: rolled out, not enforced (its window as the annotation says). */
export interface AuditPolicySummary extends PolicySummary {
  audit: AuditMode;
}

export interface NamespaceSummary {
  namespace: string;
  /** The cluster lists the namespace, or holds pods or policies in it. */
  known: boolean;
  /** By name. */
  pods: PodInfo[];
  ingress: DirectionIsolation;
  egress: DirectionIsolation;
  /** The enforced policies, by name. */
  policies: PolicySummary[];
  /** The policies in audit mode (netpol.io/audit), by name: they isolate nothing yet. */
  auditPolicies: AuditPolicySummary[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function summariseNamespace(state: ClusterState, namespace: string): NamespaceSummary {
  const pods = state.pods.filter((p) => p.namespace === namespace).sort((a, b) => byName(a.name, b.name));
  const policies = state.policies
    .filter((p) => p.metadata.namespace === namespace)
    .sort((a, b) => byName(a.metadata.name, b.metadata.name));
  const known = state.namespaces.some((n) => n.name === namespace) || pods.length > 0 || policies.length > 0;
  const enforced = enforcedState(state).policies;
  const auditPolicies: AuditPolicySummary[] = [];
  const enforcedHere: PolicySummary[] = [];
  for (const policy of policies) {
    const audit = auditModeOf(policy.metadata.annotations);
    const summary = summarisePolicy(policy, pods);
    if (audit === undefined) enforcedHere.push(summary);
    else auditPolicies.push({ ...summary, audit });
  }
  return {
    namespace,
    known,
    pods,
    ingress: isolation(enforced, pods, 'Ingress'),
    egress: isolation(enforced, pods, 'Egress'),
    policies: enforcedHere,
    auditPolicies,
  };
}

function isolation(
  allPolicies: readonly NetworkPolicy[],
  pods: readonly PodInfo[],
  direction: PolicyType,
): DirectionIsolation {
  const subject = pods.filter((p) => !p.hostNetwork);
  const isolated = subject.filter((p) => policiesIsolating(allPolicies, p, direction).length > 0);
  const open = subject.filter((p) => policiesIsolating(allPolicies, p, direction).length === 0);
  return { direction, isolated, open, hostNetwork: pods.length - subject.length };
}

function summarisePolicy(policy: NetworkPolicy, pods: readonly PodInfo[]): PolicySummary {
  const selectedPods = pods.filter(
    (p) => !p.hostNetwork && selectorMatches(policy.spec.podSelector, p.labels),
  ).length;
  const summary: PolicySummary = { policy, selectedPods, description: describeSpec(policy) };
  if (isManagedByNetpol(policy)) {
    const a = policy.metadata.annotations ?? {};
    const provenance: NonNullable<PolicySummary['provenance']> = {};
    if (a[ANNOTATIONS.requester] !== undefined) provenance.requester = a[ANNOTATIONS.requester];
    if (a[ANNOTATIONS.approver] !== undefined) provenance.approver = a[ANNOTATIONS.approver];
    if (a[ANNOTATIONS.requestId] !== undefined) provenance.requestId = a[ANNOTATIONS.requestId];
    if (a[ANNOTATIONS.createdAt] !== undefined) provenance.createdAt = a[ANNOTATIONS.createdAt];
    summary.provenance = provenance;
  }
  return summary;
}
