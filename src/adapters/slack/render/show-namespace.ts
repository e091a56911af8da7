/**
 * `/netpol show <namespace>`: whether the namespace's pods are isolated for ingress and egress, then
 * every policy of the namespace in one line (describePolicy), with who requested and approved the
 * ones netpol manages, and apart, the policies in audit mode (rolled out, not enforced: issue 10):
 * core/query/namespace-summary.ts's summary (the CLI's `netpol show` renders the
 * same one as text). Long namespaces are split into several messages (at most MAX_PAGES; beyond,
 * a note says how many lines were left out).
 */
import {
  summariseNamespace,
  type AuditPolicySummary,
  type DirectionIsolation,
  type PolicySummary,
} from '../../../core/query/namespace-summary';
import type { ClusterState, PodInfo } from '../../../core/state/cluster-state';
import { type Block, context, message, section, type SlackMessage } from './blocks';
import { code, escapeMrkdwn, fitText, formatUtc, joinAnd, mention, plural } from './mrkdwn';
import { packSections, paginateSections } from './layout';
import { clusterName, whereAndWho } from './parts';

export interface ShowNamespaceInput {
  cluster: string;
  namespace: string;
  state: ClusterState;
  /** ISO-8601: when the state was read (shown as "as of"). */
  now: string;
  /** Who asked (Slack user ID). */
  user?: string;
}

export const SHOW_MAX_PAGES = 5;
const PODS_NAMED = 5;
const LINE_BUDGET = 1500;

export function renderShowNamespace(input: ShowNamespaceInput): SlackMessage[] {
  const ns = input.namespace;
  const summary = summariseNamespace(input.state, ns);
  const { pods, policies, auditPolicies, known } = summary;

  const auditCount = auditPolicies.length === 0 ? '' : ` and ${auditPolicies.length} in audit mode`;
  const title =
    `:mag: Namespace ${code(ns)} on cluster ${clusterName(input.cluster)}: ` +
    `${plural(pods.length, 'pod')}, ${plural(policies.length, 'NetworkPolicy', 'NetworkPolicies')}${auditCount} ` +
    `(as of ${formatUtc(input.now)})`;
  const head: Block[] = [section(title)];
  if (!known) {
    head.push(section(`No namespace ${code(ns)} is known on this cluster.`));
  } else {
    head.push(section([isolationLine(summary.ingress), isolationLine(summary.egress)].join('\n')));
  }
  const who = whereAndWho(input.cluster, input.user);

  const lines = policies.map(policyLine);
  if (known && lines.length === 0)
    lines.push(
      `_No ${auditPolicies.length === 0 ? '' : 'enforced '}NetworkPolicy: nothing is isolated, every pod sends and receives everything._`,
    );
  const bodyHeader = lines.length > 0 && policies.length > 0 ? ['*Policies*'] : [];
  const auditLines =
    auditPolicies.length === 0
      ? []
      : [
          '*In audit mode (not enforced)*: nothing is dropped because of these; what they would block is reported in the thread of their request when the window ends',
          ...auditPolicies.map(auditLine),
        ];
  // Packed apart, so the audit part starts a section of its own and a page that opens inside it
  // can say what its lines are (the heading stays on the page before).
  const auditSections = packSections(auditLines);
  const auditContinues = new Set<Block>(auditSections.slice(1).map((s) => s.block));
  const sections = [...packSections([...bodyHeader, ...lines]), ...auditSections];
  const pages = paginateSections(sections, {
    // the first page also holds the title, the isolation summary and the context line
    reserveBlocks: head.length + 2,
    reserveChars: head.reduce((n, b) => n + (b.type === 'section' ? (b.text?.text.length ?? 0) : 0), 0) + 400,
    maxPages: SHOW_MAX_PAGES,
    moreNote: (omitted) =>
      `_…${plural(omitted, 'more policy', 'more policies')} not shown: too many for Slack; \`kubectl get networkpolicy -n ${escapeMrkdwn(ns)}\` lists them all._`,
  });
  if (pages.length === 0) pages.push([]);

  const fallback = `Namespace ${escapeMrkdwn(ns)} on cluster ${escapeMrkdwn(input.cluster)}: ${plural(policies.length, 'NetworkPolicy', 'NetworkPolicies')}${auditCount}`;
  return pages.map((body, i) => {
    const first = i === 0;
    const part = pages.length > 1 ? ` (${i + 1}/${pages.length})` : '';
    const blocks: Block[] = first
      ? [...head, ...body]
      : [
          context(
            `Namespace ${code(ns)} on cluster ${clusterName(input.cluster)}, continued${part}` +
              (body[0] !== undefined && auditContinues.has(body[0])
                ? ': policies *in audit mode (not enforced)*'
                : ''),
          ),
          ...body,
        ];
    blocks.push(context(who === '' ? `cluster ${clusterName(input.cluster)}` : who));
    return message(`${fallback}${part}`, blocks);
  });
}

/** `*Ingress:* isolated for all 3 pods` / `2 of 5 pods isolated (a, b); open: c, d, e` / `no pod isolated`. */
function isolationLine({ direction, isolated, open, hostNetwork }: DirectionIsolation): string {
  const label = `*${direction}:*`;
  const word = direction.toLowerCase();
  const subjects = isolated.length + open.length;
  const hostNote = hostNetwork === 0 ? '' : ` (${plural(hostNetwork, 'hostNetwork pod')} never isolated)`;
  if (subjects === 0) return `${label} no pods to isolate${hostNote}`;
  const names = (list: readonly PodInfo[]): string => {
    const shown = list.slice(0, PODS_NAMED).map((p) => code(p.name));
    return list.length > PODS_NAMED
      ? `${shown.join(', ')} and ${list.length - PODS_NAMED} more`
      : joinAnd(shown);
  };
  if (open.length === 0) {
    return `${label} all ${plural(subjects, 'pod')} isolated: only what a policy allows gets ${direction === 'Ingress' ? 'in' : 'out'}${hostNote}`;
  }
  if (isolated.length === 0) return `${label} no pod isolated: all ${word} is allowed${hostNote}`;
  return `${label} ${isolated.length} of ${plural(subjects, 'pod')} isolated (${names(isolated)}); open to all ${word}: ${names(open)}${hostNote}`;
}

function policyLine({ policy, selectedPods, description, provenance }: PolicySummary): string {
  const line = `• ${code(policy.metadata.name)} (${plural(selectedPods, 'pod')}): ${fitText(description, LINE_BUDGET)}`;
  return `${line}\n      ${provenanceText(provenance)}`;
}

/** `• backend/deny-all (window 1h), 3 pods: what it does`, under the "In audit mode" heading. */
function auditLine(summary: AuditPolicySummary): string {
  const { policy, selectedPods, description, provenance, audit } = summary;
  const name = `${policy.metadata.namespace}/${policy.metadata.name}`;
  const window =
    audit.windowMs === undefined
      ? `window ${code(audit.window)}: not a duration, no report due`
      : `window ${escapeMrkdwn(audit.window)}`;
  const line = `• ${code(name)} (${window}), ${plural(selectedPods, 'pod')}: ${fitText(description, LINE_BUDGET)}`;
  return `${line}\n      ${provenanceText(provenance)}`;
}

function provenanceText(provenance: PolicySummary['provenance']): string {
  if (provenance === undefined) return '_not managed by netpol_';
  const parts = ['_managed by netpol_'];
  if (provenance.requester !== undefined) parts.push(`requested by ${mention(provenance.requester)}`);
  if (provenance.approver !== undefined) parts.push(`approved by ${mention(provenance.approver)}`);
  if (provenance.requestId !== undefined) parts.push(code(provenance.requestId));
  if (provenance.createdAt !== undefined) parts.push(formatUtc(provenance.createdAt));
  return parts.join(' · ');
}
