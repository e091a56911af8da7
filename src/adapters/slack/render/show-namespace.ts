/**
 * `/netpol show <namespace>`: whether the namespace's pods are isolated for ingress and egress, then
 * every policy of the namespace in one line (describePolicy), with who requested and approved the
 * ones netpol manages. Long namespaces are split into several messages (at most MAX_PAGES; beyond,
 * a note says how many lines were left out).
 */
import { selectorMatches } from '../../../core/k8s/label-selector';
import { policiesIsolating } from '../../../core/k8s/policy-types';
import type { NetworkPolicy, PolicyType } from '../../../core/k8s/types';
import { describeSpec } from '../../../core/policy/describe-policy';
import { ANNOTATIONS, isManagedByNetpol } from '../../../core/policy/provenance';
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
  const pods = input.state.pods.filter((p) => p.namespace === ns).sort((a, b) => (a.name < b.name ? -1 : 1));
  const policies = input.state.policies
    .filter((p) => p.metadata.namespace === ns)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const known = input.state.namespaces.some((n) => n.name === ns) || pods.length > 0 || policies.length > 0;

  const title =
    `:mag: Namespace ${code(ns)} on cluster ${clusterName(input.cluster)}: ` +
    `${plural(pods.length, 'pod')}, ${plural(policies.length, 'NetworkPolicy', 'NetworkPolicies')} ` +
    `(as of ${formatUtc(input.now)})`;
  const head: Block[] = [section(title)];
  if (!known) {
    head.push(section(`No namespace ${code(ns)} is known on this cluster.`));
  } else {
    head.push(
      section(
        [
          isolationLine(input.state.policies, pods, 'Ingress'),
          isolationLine(input.state.policies, pods, 'Egress'),
        ].join('\n'),
      ),
    );
  }
  const who = whereAndWho(input.cluster, input.user);

  const lines = policies.map((p) => policyLine(p, pods));
  if (known && lines.length === 0)
    lines.push('_No NetworkPolicy: nothing is isolated, every pod sends and receives everything._');
  const bodyHeader = lines.length > 0 && policies.length > 0 ? ['*Policies*'] : [];
  const sections = packSections([...bodyHeader, ...lines]);
  const pages = paginateSections(sections, {
    // the first page also holds the title, the isolation summary and the context line
    reserveBlocks: head.length + 2,
    reserveChars: head.reduce((n, b) => n + (b.type === 'section' ? (b.text?.text.length ?? 0) : 0), 0) + 400,
    maxPages: SHOW_MAX_PAGES,
    moreNote: (omitted) =>
      `_…${plural(omitted, 'more policy', 'more policies')} not shown: too many for Slack; \`kubectl get networkpolicy -n ${escapeMrkdwn(ns)}\` lists them all._`,
  });
  if (pages.length === 0) pages.push([]);

  const fallback = `Namespace ${escapeMrkdwn(ns)} on cluster ${escapeMrkdwn(input.cluster)}: ${plural(policies.length, 'NetworkPolicy', 'NetworkPolicies')}`;
  return pages.map((body, i) => {
    const first = i === 0;
    const part = pages.length > 1 ? ` (${i + 1}/${pages.length})` : '';
    const blocks: Block[] = first
      ? [...head, ...body]
      : [
          context(`Namespace ${code(ns)} on cluster ${clusterName(input.cluster)}, continued${part}`),
          ...body,
        ];
    blocks.push(context(who === '' ? `cluster ${clusterName(input.cluster)}` : who));
    return message(`${fallback}${part}`, blocks);
  });
}

/** `*Ingress:* isolated for all 3 pods` / `2 of 5 pods isolated (a, b); open: c, d, e` / `no pod isolated`. */
function isolationLine(
  allPolicies: readonly NetworkPolicy[],
  pods: readonly PodInfo[],
  direction: PolicyType,
): string {
  const label = `*${direction}:*`;
  const word = direction.toLowerCase();
  const subject = pods.filter((p) => !p.hostNetwork);
  const host = pods.length - subject.length;
  const hostNote = host === 0 ? '' : ` (${plural(host, 'hostNetwork pod')} never isolated)`;
  if (subject.length === 0) return `${label} no pods to isolate${hostNote}`;
  const isolated = subject.filter((p) => policiesIsolating(allPolicies, p, direction).length > 0);
  const open = subject.filter((p) => policiesIsolating(allPolicies, p, direction).length === 0);
  const names = (list: readonly PodInfo[]): string => {
    const shown = list.slice(0, PODS_NAMED).map((p) => code(p.name));
    return list.length > PODS_NAMED
      ? `${shown.join(', ')} and ${list.length - PODS_NAMED} more`
      : joinAnd(shown);
  };
  if (open.length === 0) {
    return `${label} all ${plural(subject.length, 'pod')} isolated: only what a policy allows gets ${direction === 'Ingress' ? 'in' : 'out'}${hostNote}`;
  }
  if (isolated.length === 0) return `${label} no pod isolated: all ${word} is allowed${hostNote}`;
  return `${label} ${isolated.length} of ${plural(subject.length, 'pod')} isolated (${names(isolated)}); open to all ${word}: ${names(open)}${hostNote}`;
}

function policyLine(policy: NetworkPolicy, pods: readonly PodInfo[]): string {
  const selected = pods.filter(
    (p) => !p.hostNetwork && selectorMatches(policy.spec.podSelector, p.labels),
  ).length;
  const line = `• ${code(policy.metadata.name)} (${plural(selected, 'pod')}): ${fitText(describeSpec(policy), LINE_BUDGET)}`;
  return `${line}\n      ${provenance(policy)}`;
}

function provenance(policy: NetworkPolicy): string {
  if (!isManagedByNetpol(policy)) return '_not managed by netpol_';
  const a = policy.metadata.annotations ?? {};
  const parts = ['_managed by netpol_'];
  if (a[ANNOTATIONS.requester] !== undefined)
    parts.push(`requested by ${mention(a[ANNOTATIONS.requester]!)}`);
  if (a[ANNOTATIONS.approver] !== undefined) parts.push(`approved by ${mention(a[ANNOTATIONS.approver]!)}`);
  if (a[ANNOTATIONS.requestId] !== undefined) parts.push(code(a[ANNOTATIONS.requestId]!));
  if (a[ANNOTATIONS.createdAt] !== undefined) parts.push(formatUtc(a[ANNOTATIONS.createdAt]!));
  return parts.join(' · ');
}
