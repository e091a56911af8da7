/**
 * One connection's verdict as `can`, `/netpol explain` and `netpol explain` give it (issue 10):
 * the evaluator's verdict, which policies in audit mode take no part in, and, when enforcing those
 * policies would turn it, a note saying so ("backend/deny-all is in audit mode and would block it
 * once enforced"), and a side only they select reads "no enforced NetworkPolicy selects". The one
 * place that wording is made, for Slack and the terminal alike. Pure.
 */
import {
  buildPolicyIndex,
  evaluateConnection,
  type ConnectionVerdict,
  type PolicyIndex,
  type SideVerdict,
  type TrafficEndpoint,
} from '../evaluator';
import { formatPort } from '../evaluator/ports';
import { connectionSummary, notIsolatedReason } from '../evaluator/reasons';
import type { Protocol } from '../k8s/types';
import { asEnforced } from '../policy/audit-policies';
import type { ClusterState } from '../state/cluster-state';
import { auditPolicies } from '../state/enforced-state';
import { renderVerdict } from './render-verdict';

export interface ProbedVerdict {
  verdict: ConnectionVerdict;
  port: number;
  protocol: Protocol;
  /** Policies in audit mode would turn this verdict once enforced: "backend/x is in audit mode and would block it". */
  auditNote?: string;
}

/** The state's policies in audit mode, enforced: what a verdict is compared with. */
export interface AuditedIndex {
  index: PolicyIndex;
  /** The audit policies, `namespace/name`. */
  keys: Set<string>;
}

/** The index as it would be with the audit policies enforced; undefined when there are none. */
export function auditedIndex(state: ClusterState): AuditedIndex | undefined {
  const audit = auditPolicies(state);
  if (audit.length === 0) return undefined;
  const keys = new Set(audit.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
  return { index: buildPolicyIndex({ ...state, policies: asEnforced(state.policies) }), keys };
}

/** A connection's verdict in `index`, with the note of what `audit` (auditedIndex) would change. */
export function probeVerdict(
  index: PolicyIndex,
  audit: AuditedIndex | undefined,
  connection: { src: TrafficEndpoint; dst: TrafficEndpoint; port: number; protocol: Protocol },
): ProbedVerdict {
  const { src, dst, port, protocol } = connection;
  const evaluated = evaluateConnection(index, src, dst, port, protocol);
  if (audit === undefined) return { verdict: evaluated, port, protocol };
  const verdict = withAuditSelecting(index, audit, evaluated, port, protocol);
  const note = auditNote(verdict, evaluateConnection(audit.index, src, dst, port, protocol), audit.keys);
  return { verdict, port, protocol, ...(note === undefined ? {} : { auditNote: note }) };
}

/**
 * A side "no NetworkPolicy selects" while a policy in audit mode does select the pod reads "no
 * enforced NetworkPolicy selects" (and the summary with it); every other reason is the evaluator's.
 */
function withAuditSelecting(
  index: PolicyIndex,
  audit: AuditedIndex,
  verdict: ConnectionVerdict,
  port: number,
  protocol: Protocol,
): ConnectionVerdict {
  const reword = (side: SideVerdict): SideVerdict => {
    if (!side.applies || side.isolated) return side;
    const n = index.podNumber.get(side.endpoint);
    if (n === undefined || index.selectingPolicies[n]!.length > 0) return side;
    const m = audit.index.podNumber.get(side.endpoint);
    const selected =
      m !== undefined &&
      audit.index.selectingPolicies[m]!.some((p) => audit.keys.has(audit.index.policies[p]!.key));
    if (!selected) return side;
    return { ...side, reason: notIsolatedReason(side.direction, side.endpoint, [], { auditSelects: true }) };
  };
  const egress = reword(verdict.egress);
  const ingress = reword(verdict.ingress);
  if (egress === verdict.egress && ingress === verdict.ingress) return verdict;
  const sides = { allowed: verdict.allowed, self: verdict.self, egress, ingress };
  const summary = connectionSummary(egress.endpoint, ingress.endpoint, formatPort(protocol, port), sides);
  return { ...sides, summary };
}

/** A probed verdict as terminal text: renderVerdict's lines, then the audit note's. */
export function renderProbedVerdict(v: ProbedVerdict): string {
  return (
    renderVerdict(v.verdict, v.port, v.protocol) +
    (v.auditNote === undefined ? '' : `  audit   ${v.auditNote}\n`)
  );
}

/** What the audit policies would change: `backend/deny-all is in audit mode and would block it`. */
function auditNote(
  now: ConnectionVerdict,
  enforced: ConnectionVerdict,
  audit: Set<string>,
): string | undefined {
  if (now.allowed === enforced.allowed) return undefined;
  const sides = [enforced.egress, enforced.ingress];
  const names = now.allowed
    ? sides.filter((s) => !s.allowed).flatMap((s) => s.isolatingPolicies.filter((p) => audit.has(p)))
    : sides.flatMap((s) => s.allowedBy.map((r) => r.policy).filter((p) => audit.has(p)));
  const unique = [...new Set(names)].sort();
  const who =
    unique.length === 0
      ? 'policies in audit mode'
      : `${unique.join(', ')} ${unique.length === 1 ? 'is' : 'are'} in audit mode and`;
  return `${who} would ${now.allowed ? 'block' : 'allow'} it once enforced`;
}
