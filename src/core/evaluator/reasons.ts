/**
 * The sentences a verdict carries, in netpol-analyzer's style: what isolates the pod, which rule
 * allows the connection, or why none does. Rule numbers are 1-based in text (RuleRef is 0-based).
 * Pure string building; the evaluator decides, this module only words the decision.
 */
import type { Direction, RuleRef, SideVerdict } from './verdict';

const lower = (d: Direction): string => d.toLowerCase();

export function ruleText(ref: RuleRef): string {
  return `${lower(ref.direction)} rule #${ref.ruleIndex + 1} of ${ref.policy}`;
}

export function notAppliedReason(
  direction: Direction,
  endpoint: string,
  why: 'outside' | 'hostNetwork',
): string {
  const what =
    why === 'outside'
      ? `${endpoint} is outside the cluster, where NetworkPolicies do not apply`
      : `${endpoint} uses the host network, and NetworkPolicies do not apply to hostNetwork pods`;
  return `${lower(direction)} is not restricted: ${what}`;
}

/**
 * `otherPolicies`: policies selecting the pod only for the other direction. `auditSelects`: policies
 * in audit mode (issue 10), which take no part in the verdict, do select it, so "no NetworkPolicy"
 * would read as wrong next to them: none enforced does.
 */
export function notIsolatedReason(
  direction: Direction,
  endpoint: string,
  otherPolicies: string[],
  options: { auditSelects?: boolean } = {},
): string {
  const d = lower(direction);
  if (otherPolicies.length === 0) {
    const which = options.auditSelects === true ? 'enforced ' : '';
    return `not isolated for ${d}: no ${which}NetworkPolicy selects ${endpoint}, so all ${d} is allowed`;
  }
  const them = otherPolicies.length === 1 ? 'the one NetworkPolicy' : 'the NetworkPolicies';
  return (
    `not isolated for ${d}: ${them} selecting ${endpoint} (${otherPolicies.join(', ')}) ` +
    `${otherPolicies.length === 1 ? 'does' : 'do'} not have policyType ${direction}, so all ${d} is allowed`
  );
}

export function allowedReason(refs: RuleRef[]): string {
  return `allowed by ${refs.map(ruleText).join(', ')}`;
}

/**
 * `peer`: the other end ("frontend/nginx" or an IP); `portText`: "TCP/80"; `portMisses`: rules
 * whose peers admit `peer` but whose ports do not include the connection's port.
 */
export function deniedReason(
  direction: Direction,
  policies: string[],
  ruleCount: number,
  peer: string,
  portText: string,
  portMisses: RuleRef[],
): string {
  const d = lower(direction);
  const head = `isolated for ${d} by ${policies.join(', ')}`;
  if (ruleCount === 0) {
    return `${head}; ${policies.length === 1 ? 'it has' : 'they have'} no ${d} rule, so no ${d} is allowed`;
  }
  const whose = policies.length === 1 ? 'its' : 'theirs';
  let text = `${head}; no ${d} rule of ${whose} allows ${peer} on ${portText}`;
  if (portMisses.length > 0) {
    text += ` (${portMisses.map(ruleText).join(', ')} ${portMisses.length === 1 ? 'admits' : 'admit'} ${peer}, but not on ${portText})`;
  }
  return text;
}

export function selfReason(endpoint: string, reason: string): string {
  return `allowed because ${endpoint} is sending to itself, which NetworkPolicy never blocks (otherwise: ${reason})`;
}

export function connectionSummary(
  from: string,
  to: string,
  portText: string,
  verdict: { allowed: boolean; self: boolean; egress: SideVerdict; ingress: SideVerdict },
): string {
  const head = `${from} -> ${to} on ${portText}`;
  if (verdict.self) return `${head}: allowed (a pod's traffic to itself is never blocked)`;
  const { egress, ingress } = verdict;
  if (verdict.allowed) return `${head}: allowed (egress: ${egress.reason}; ingress: ${ingress.reason})`;
  const denied = [egress, ingress].filter((s) => !s.allowed);
  return `${head}: denied by ${denied.map((s) => `${lower(s.direction)} (${s.reason})`).join(' and by ')}`;
}
