/**
 * What applying (or removing) a set of NetworkPolicies does to the live cluster, in one paragraph a
 * requester and an approver can check: which pods each policy opens to which peers, whether the
 * selected pods were isolated before, and which connections that work today would stop. Computed by
 * the evaluator on two indexes, the state before and after the change; pods are probed on their
 * declared container ports (80/TCP when they declare none), as warning W001 does.
 * Policies in audit mode (issue 10) are described as such, and their effect is computed as if they
 * were enforced: what they would block is what the agents will report. Audit policies already in the
 * cluster count as not there (the evaluator leaves them out).
 * Pure: the state is read, never changed; no clock.
 */
import { buildPolicyIndex, connectionsCut, type IndexedPolicy, type PolicyIndex } from '../evaluator';
import type { PodSet } from '../evaluator';
import { effectivePolicyTypes, effectiveRules } from '../k8s/policy-types';
import type { NetworkPolicy, NetworkPolicyPeer, PolicyType } from '../k8s/types';
import { type ClusterState, type PodInfo, policyKey } from '../state/cluster-state';
import { isAuditPolicy } from '../k8s/audit-mode';
import { asEnforced, auditWindowOf } from './audit-policies';
import { describePorts, describeTargetPods } from './describe-policy';

export interface DescribeEffectOptions {
  /** `apply` (default): the policies are created or replace same-named ones; `revoke`: they are deleted. */
  action?: 'apply' | 'revoke';
  /** At most this many connection checks (pairs x ports); beyond it the count is skipped. */
  maxProbes?: number;
}

const EXAMPLES = 3;
const NAMESPACES_LISTED = 3;
const DEFAULT_MAX_PROBES = 200_000;

export function describeEffect(
  policies: readonly NetworkPolicy[],
  state: ClusterState | undefined,
  options: DescribeEffectOptions = {},
): string {
  const action = options.action ?? 'apply';
  if (policies.length === 0) return 'no policy changes';
  const window = action === 'apply' ? auditWindowOf(policies) : undefined;
  if (window === undefined) return describeEnforced(policies, state, action, options, 'will');
  return `${auditModeText(window, policies.length)}. If enforced: ${describeEnforced(asEnforced(policies), state, action, options, 'would')}`;
}

/** The sentence that leads the effect of a `--audit` request: nothing drops; a report comes; enforcing is approved anew. */
export function auditModeText(window: string, policyCount: number): string {
  const these = policyCount === 1 ? 'this policy' : 'these policies';
  return (
    `Audit mode for ${window}: nothing will be dropped; what ${these} would block is reported in the ` +
    `thread after ${window}; enforcing it is a new approval`
  );
}

function describeEnforced(
  policies: readonly NetworkPolicy[],
  state: ClusterState | undefined,
  action: 'apply' | 'revoke',
  options: DescribeEffectOptions,
  will: 'will' | 'would',
): string {
  if (state === undefined) return withoutState(policies, action);

  const keys = new Set(policies.map(policyKey));
  const kept = state.policies.filter((p) => !keys.has(policyKey(p)));
  const after: ClusterState = { ...state, policies: action === 'apply' ? [...kept, ...policies] : kept };
  const before = buildPolicyIndex(state);
  const next = buildPolicyIndex(after);

  const clauses: string[] = [];
  if (action === 'apply') {
    for (const policy of policies) clauses.push(...policyClauses(next, indexed(next, policy), policy));
    clauses.push(...isolationBefore(before, next, policies));
  } else {
    for (const policy of policies) {
      const p = before.policies.find((x) => x.key === policyKey(policy));
      const auditing = state.policies.some((x) => policyKey(x) === policyKey(policy) && isAuditPolicy(x));
      clauses.push(
        auditing
          ? `removes ${policyKey(policy)}, which is in audit mode and enforces nothing (no connection changes)`
          : p === undefined
            ? `removes ${policyKey(policy)}, which is not in the cluster today (nothing changes)`
            : `removes ${p.key} (selects ${podsText(before, p.selects, p.namespace)})`,
      );
    }
    const released = releasedPods(before, next);
    if (released !== undefined) clauses.push(released);
  }
  clauses.push(
    stoppedConnections(before, next, policies, action, options.maxProbes ?? DEFAULT_MAX_PROBES, will),
  );
  return clauses.filter((c) => c !== '').join('; ');
}

function withoutState(policies: readonly NetworkPolicy[], action: 'apply' | 'revoke'): string {
  const each = policies.map((p) => {
    const types = effectivePolicyTypes(p.spec).map((t) => t.toLowerCase());
    const selects = `${describeTargetPods(p.spec.podSelector)} in ${p.metadata.namespace}`;
    return action === 'apply'
      ? `${selects} for ${types.join(' and ')}`
      : `${p.metadata.namespace}/${p.metadata.name}`;
  });
  if (action === 'revoke') return `cluster state unknown; removes ${each.join(', ')}`;
  const verb = policies.length === 1 ? 'the policy selects' : 'the policies select';
  return `cluster state unknown; ${verb} ${joinAnd(each)}`;
}

function indexed(index: PolicyIndex, policy: NetworkPolicy): IndexedPolicy {
  const key = policyKey(policy);
  const found = index.policies.find((p) => p.key === key);
  if (found === undefined) throw new Error(`policy ${key} missing from its own index`);
  return found;
}

/** `lets 1 pod in frontend reach 2 pods in backend on TCP 8080`, or `isolates 2 pods in backend for ingress`. */
function policyClauses(index: PolicyIndex, p: IndexedPolicy, policy: NetworkPolicy): string[] {
  const targets = podsText(index, p.selects, p.namespace);
  const clauses: string[] = [];
  for (const direction of p.types) {
    const rules = direction === 'Ingress' ? p.ingress : p.egress;
    const raw = effectiveRules(policy.spec, p.types)[direction];
    if (rules.length === 0) {
      clauses.push(`isolates ${targets} for ${direction.toLowerCase()}`);
      continue;
    }
    for (const rule of rules) {
      const rawRule = raw[rule.ref.ruleIndex];
      const peers = peersText(index, rule.peers, rawRule?.peers);
      const ports = `on ${describePorts(rawRule?.ports)}`;
      clauses.push(
        direction === 'Ingress'
          ? `lets ${peers} reach ${targets} ${ports}`
          : `lets ${targets} reach ${peers} ${ports}`,
      );
    }
  }
  return clauses;
}

function peersText(
  index: PolicyIndex,
  peers: 'any' | { selected: PodSet; ipBlocks: { cidr: string; except: string[] }[] },
  raw: readonly NetworkPolicyPeer[] | undefined,
): string {
  if (peers === 'any') return 'anything (inside and outside the cluster)';
  const parts: string[] = [];
  const hasSelectorPeer = (raw ?? []).some((peer) => peer.ipBlock === undefined);
  if (hasSelectorPeer) parts.push(podsText(index, peers.selected));
  for (const block of peers.ipBlocks) {
    parts.push(
      block.except.length === 0
        ? `addresses in ${block.cidr}`
        : `addresses in ${block.cidr} except ${block.except.join(', ')}`,
    );
  }
  return parts.length === 0 ? 'nothing' : joinAnd(parts);
}

/**
 * `1 pod in frontend`, `3 pods in frontend and 2 in web`, `12 pods in 5 namespaces`; with a
 * `namespace` given, an empty set reads `no pod in backend today`.
 */
function podsText(index: PolicyIndex, set: PodSet, namespace?: string): string {
  const counts = new Map<string, number>();
  for (const i of set.indices()) {
    const ns = index.pods[i]!.namespace;
    counts.set(ns, (counts.get(ns) ?? 0) + 1);
  }
  if (counts.size === 0) return namespace === undefined ? 'no pod today' : `no pod in ${namespace} today`;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (counts.size > NAMESPACES_LISTED) return `${plural(total, 'pod')} in ${counts.size} namespaces`;
  const entries = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return joinAnd(entries.map(([ns, n], i) => (i === 0 ? `${plural(n, 'pod')} in ${ns}` : `${n} in ${ns}`)));
}

/** For each (namespace, direction, selector) the policies isolate: were those pods isolated before? */
function isolationBefore(
  before: PolicyIndex,
  next: PolicyIndex,
  policies: readonly NetworkPolicy[],
): string[] {
  const seen = new Set<string>();
  const clauses: string[] = [];
  for (const policy of policies) {
    const p = indexed(next, policy);
    const who = describeTargetPods(policy.spec.podSelector);
    for (const direction of p.types) {
      const key = JSON.stringify([p.namespace, direction, who]);
      if (seen.has(key)) continue;
      seen.add(key);
      const selected = p.selects.indices();
      const subject = who === 'all pods' ? p.namespace : `${who} in ${p.namespace}`;
      const verb = who === 'all pods' ? 'is' : 'are';
      const head = `${subject} ${verb} isolated for ${direction.toLowerCase()} today`;
      if (selected.length === 0) {
        clauses.push(`${head}: no pod is selected`);
        continue;
      }
      const isolated = selected.filter((i) => isIsolated(before, next.podKeys[i]!, direction)).length;
      clauses.push(
        isolated === selected.length
          ? `${head}: yes`
          : isolated === 0
            ? `${head}: no`
            : `${head}: partly (${isolated} of ${selected.length} pods)`,
      );
    }
  }
  return clauses;
}

function isIsolated(index: PolicyIndex, pod: string, direction: PolicyType): boolean {
  const n = index.podNumber.get(pod);
  if (n === undefined) return false;
  return (direction === 'Ingress' ? index.ingressPolicies : index.egressPolicies)[n]!.length > 0;
}

/** Revoke: pods that stop being isolated once the policies are gone. */
function releasedPods(before: PolicyIndex, next: PolicyIndex): string | undefined {
  const parts: string[] = [];
  for (const direction of ['Ingress', 'Egress'] as const) {
    const released = before.podKeys.filter(
      (key) => isIsolated(before, key, direction) && !isIsolated(next, key, direction),
    );
    if (released.length > 0) {
      parts.push(
        `${plural(released.length, 'pod')} stop being isolated for ${direction.toLowerCase()} (${examples(released)})`,
      );
    }
  }
  return parts.length === 0 ? undefined : parts.join('; ');
}

/**
 * Connections between known pods allowed before and refused after. Applying only adds rules, so
 * only newly isolated pods can lose connections; removing can cut what a removed rule allowed on
 * pods that stay isolated, so every pod the removed policies selected is checked.
 */
function stoppedConnections(
  before: PolicyIndex,
  next: PolicyIndex,
  policies: readonly NetworkPolicy[],
  action: 'apply' | 'revoke',
  maxProbes: number,
  will: 'will' | 'would',
): string {
  const checks: { pod: PodInfo; direction: PolicyType }[] = [];
  for (const direction of ['Ingress', 'Egress'] as const) {
    for (const [i, key] of next.podKeys.entries()) {
      const changed =
        action === 'apply'
          ? isIsolated(next, key, direction) && !isIsolated(before, key, direction)
          : selectedByAny(before, policies, key, direction) && isIsolated(next, key, direction);
      if (changed) checks.push({ pod: next.pods[i]!, direction });
    }
  }
  if (checks.length === 0) return '';
  const pods = next.pods;
  const probes = checks.length * pods.length * 2;
  if (probes > maxProbes)
    return `connections that stop were not counted (${pods.length} pods: too many to probe)`;
  const unique = connectionsCut(before, next, pods, checks);
  if (unique.length === 0)
    return `no connection between known pods that works today ${will === 'will' ? 'stops' : 'would stop'}`;
  const them =
    unique.length === 1
      ? `connection that works today ${will} stop`
      : `connections that work today ${will} stop`;
  return `${unique.length} ${them} (${examples(unique)})`;
}

function selectedByAny(
  index: PolicyIndex,
  policies: readonly NetworkPolicy[],
  pod: string,
  direction: PolicyType,
): boolean {
  const n = index.podNumber.get(pod);
  if (n === undefined) return false;
  const keys = new Set(policies.map(policyKey));
  const numbers = (direction === 'Ingress' ? index.ingressPolicies : index.egressPolicies)[n] ?? [];
  return numbers.some((p) => keys.has(index.policies[p]!.key));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function examples(items: readonly string[]): string {
  return items.length <= EXAMPLES
    ? items.join(', ')
    : `${items.slice(0, EXAMPLES).join(', ')} and ${items.length - EXAMPLES} more`;
}

function joinAnd(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
