/**
 * `netpol show <namespace>` for a terminal: the same summary `/netpol show` renders in Slack
 * (core/query/namespace-summary.ts), as plain text. Only what the cluster holds is printed, not where
 * it was read from or when, so the output is the same bytes for a state file and for the live
 * cluster it was taken from (the CLI says on stderr what it read). Pure; pinned by golden files in
 * test/golden/cli/.
 */
import type { DirectionIsolation, NamespaceSummary, PolicySummary } from '../core/query/namespace-summary';
import type { PodInfo } from '../core/state/cluster-state';

/** Pods named in an isolation line before "and N more": a terminal has room, a screen has an end. */
const PODS_NAMED = 20;

const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

export function renderShowText(summary: NamespaceSummary): string {
  const { namespace, pods, policies, auditPolicies } = summary;
  const auditCount = auditPolicies.length === 0 ? '' : ` and ${auditPolicies.length} in audit mode`;
  const lines = [
    `Namespace ${namespace}: ${plural(pods.length, 'pod')}, ${plural(policies.length, 'NetworkPolicy', 'NetworkPolicies')}${auditCount}`,
  ];
  if (!summary.known) return `${lines[0]}\nNo namespace ${namespace} is known in this cluster.\n`;
  lines.push(isolationLine(summary.ingress), isolationLine(summary.egress), '');
  if (policies.length === 0) {
    const enforced = auditPolicies.length === 0 ? '' : 'enforced ';
    lines.push(`No ${enforced}NetworkPolicy: nothing is isolated, every pod sends and receives everything.`);
  } else {
    lines.push('Policies');
    for (const policy of policies) lines.push(...policyLines(policy));
  }
  // Audit mode (issue 10): rolled out, not enforced, so apart from the policies above.
  if (auditPolicies.length > 0) lines.push('', 'In audit mode (not enforced)');
  for (const audit of auditPolicies) {
    const window =
      audit.audit.windowMs === undefined
        ? `window ${JSON.stringify(audit.audit.window)}: not a duration, no report due`
        : `window ${audit.audit.window}`;
    const name = `${namespace}/${audit.policy.metadata.name}`;
    lines.push(
      `- ${name} (${window}), ${plural(audit.selectedPods, 'pod')}: ${audit.description}`,
      provenanceLine(audit.provenance),
    );
  }
  return `${lines.join('\n')}\n`;
}

function names(list: readonly PodInfo[]): string {
  const shown = list.slice(0, PODS_NAMED).map((p) => p.name);
  return list.length > PODS_NAMED
    ? `${shown.join(', ')} and ${list.length - PODS_NAMED} more`
    : shown.join(', ');
}

function isolationLine({ direction, isolated, open, hostNetwork }: DirectionIsolation): string {
  const label = `${direction}:`;
  const word = direction.toLowerCase();
  const subjects = isolated.length + open.length;
  const hostNote = hostNetwork === 0 ? '' : ` (${plural(hostNetwork, 'hostNetwork pod')} never isolated)`;
  if (subjects === 0) return `${label} no pods to isolate${hostNote}`;
  if (open.length === 0) {
    return `${label} all ${plural(subjects, 'pod')} isolated: only what a policy allows gets ${direction === 'Ingress' ? 'in' : 'out'}${hostNote}`;
  }
  if (isolated.length === 0) return `${label} no pod isolated: all ${word} is allowed${hostNote}`;
  return `${label} ${isolated.length} of ${plural(subjects, 'pod')} isolated (${names(isolated)}); open to all ${word}: ${names(open)}${hostNote}`;
}

function policyLines({ policy, selectedPods, description, provenance }: PolicySummary): string[] {
  return [
    `- ${policy.metadata.name} (${plural(selectedPods, 'pod')}): ${description}`,
    provenanceLine(provenance),
  ];
}

function provenanceLine(provenance: PolicySummary['provenance']): string {
  if (provenance === undefined) return '    not managed by netpol';
  const parts = ['managed by netpol'];
  if (provenance.requester !== undefined) parts.push(`requested by ${provenance.requester}`);
  if (provenance.approver !== undefined) parts.push(`approved by ${provenance.approver}`);
  if (provenance.requestId !== undefined) parts.push(provenance.requestId);
  if (provenance.createdAt !== undefined) parts.push(utc(provenance.createdAt));
  return `    ${parts.join(' · ')}`;
}

/** `2026-11-22 10:01 UTC`, as Slack shows it; an unreadable time as it is. */
function utc(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(ms).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)} UTC`;
}
