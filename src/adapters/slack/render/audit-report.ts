/**
 * The audit report (issue 10): posted in a request's thread when the audit window of its policies
 * (`netpol.io/audit`) ends. What they would have blocked, one line per flow grouped as drop alerts
 * group drops (source workload -> destination workload, protocol/port, count, and on how many nodes
 * as alerts say it: "2 nodes", or the node's name when one), the largest first;
 * or that nothing would have been (or, when no node agent of the cluster reported during the window,
 * that nothing watched: no flow then proves nothing); that the policies stay in audit mode, dropping nothing, until
 * enforced; and an **Enforce** button, which starts a new request for the same policies without the
 * annotation (a new approval). When none of the policies is in audit mode any more (deleted, or
 * already enforced), it says so instead, without the button. Pure: the worker passes everything in.
 */
import { AUDIT_ENFORCE_ACTION_ID } from './action-ids';
import { actions, type Block, button, context, message, section, type SlackMessage } from './blocks';
import { countOf } from './alert';
import { code, escapeMrkdwn, fitText, formatUtc, joinAnd, mention, plural } from './mrkdwn';
import { clusterName } from './parts';

export interface AuditReportFlow {
  /** `frontend/nginx`, or an outside address. */
  source: string;
  destination: string;
  /** `tcp/80` */
  port: string;
  count: number;
  /** The request's policies (`namespace/name`) that would have blocked it. */
  blockedBy: string[];
  /** The nodes whose agents saw it; absent (or empty) when unknown: older agents did not say. */
  nodes?: string[];
  /** How many nodes saw it, when more than `nodes` names. */
  nodeCount?: number;
}

export interface AuditReportInput {
  cluster: string;
  requestId: string;
  /** Slack user ID of whoever asked for the audit. */
  requester: string;
  /** The window as requested (`1h`). */
  window: string;
  /** ISO: the apply, and when the window ended. */
  windowStart: string;
  windowEnd: string;
  /** The request's audit policies, `namespace/name`, and where each stands now. */
  policies: { key: string; state: 'audit' | 'enforced' | 'deleted' }[];
  /** Every flow they would have blocked, most first (the renderer shows the first ones). */
  flows: AuditReportFlow[];
  /**
   * No node agent of the cluster reported during the window: no flow could be seen, so no flow
   * says nothing about what would have been blocked.
   */
  unwatched?: boolean;
}

/** Flows listed in the message; the rest are counted ("and 12 more flows"). */
export const AUDIT_REPORT_FLOWS_SHOWN = 15;

const POLICIES_SHOWN = 10;
/** A flow's line at most: 15 of them and the "and K more" stay within a section's 3,000 characters. */
const FLOW_LINE_CHARS = 180;

function policyList(keys: readonly string[]): string {
  const shown = keys.slice(0, POLICIES_SHOWN).map(code);
  if (keys.length > POLICIES_SHOWN) shown.push(plural(keys.length - POLICIES_SHOWN, 'more'));
  return joinAnd(shown);
}

/** `, 3 nodes` (as drop alerts count them), `, node worker-1` for one, nothing when unknown. */
function nodesPart(flow: AuditReportFlow): string {
  const names = flow.nodes ?? [];
  if (names.length === 0) return '';
  const count = Math.max(flow.nodeCount ?? 0, names.length);
  return count === 1 ? `, node ${escapeMrkdwn(names[0]!)}` : `, ${plural(count, 'node')}`;
}

function flowLine(flow: AuditReportFlow): string {
  return fitText(
    `${flow.source} → ${flow.destination} ${flow.port}: ${countOf(flow.count, 'connection')}${nodesPart(flow)} (by ${flow.blockedBy.join(', ')})`,
    FLOW_LINE_CHARS,
  );
}

export function renderAuditReport(input: AuditReportInput): SlackMessage {
  const inAudit = input.policies.filter((p) => p.state === 'audit').map((p) => p.key);
  const enforced = input.policies.filter((p) => p.state === 'enforced').map((p) => p.key);
  const deleted = input.policies.filter((p) => p.state === 'deleted').map((p) => p.key);
  const window = escapeMrkdwn(input.window);
  const request = code(input.requestId);
  const ended = `The audit window of ${window} of request ${request} on cluster ${clusterName(input.cluster)} ended`;
  const changed: string[] = [];
  if (enforced.length > 0)
    changed.push(`${policyList(enforced)} ${enforced.length === 1 ? 'is' : 'are'} already enforced`);
  if (deleted.length > 0)
    changed.push(`${policyList(deleted)} ${deleted.length === 1 ? 'was' : 'were'} deleted`);
  const where = context(
    `cluster ${clusterName(input.cluster)} · audited ${formatUtc(input.windowStart)} – ${formatUtc(input.windowEnd)} · requested by ${mention(input.requester)}`,
  );

  if (inAudit.length === 0) {
    const head = `:information_source: ${ended}, but its policies are no longer in audit mode: ${joinAnd(changed)}. Nothing to report or enforce.`;
    return message(`Audit of request ${input.requestId} ended: its policies are no longer in audit mode`, [
      section(head),
      where,
    ]);
  }

  const total = input.flows.reduce((sum, f) => sum + f.count, 0);
  const blocks: Block[] = [];
  let fallback: string;
  if (input.flows.length === 0 && input.unwatched === true) {
    blocks.push(
      section(
        `:warning: ${ended}, but no netpol node agent of the cluster reported during it: ` +
          'nothing watched the traffic, so this report cannot say what would have been blocked. Audit mode ' +
          'needs the agents (Helm: `agent.enabled=true`); without them a CNI that enforces NetworkPolicies ' +
          'ignores the audit annotation and enforces these policies already.',
      ),
    );
    fallback = `Audit of request ${input.requestId} ended: no node agent reported on cluster ${input.cluster}, nothing was watched`;
  } else if (input.flows.length === 0) {
    blocks.push(section(`:white_check_mark: ${ended}: nothing would have been blocked.`));
    fallback = `Audit of request ${input.requestId} ended: nothing would have been blocked`;
  } else {
    const summary = `${countOf(total, 'connection')} in ${plural(input.flows.length, 'flow')}`;
    blocks.push(section(`:mag: ${ended}: it would have blocked ${summary}.`));
    const shown = input.flows.slice(0, AUDIT_REPORT_FLOWS_SHOWN).map((f) => `• ${flowLine(f)}`);
    if (input.flows.length > AUDIT_REPORT_FLOWS_SHOWN)
      shown.push(`_…and ${plural(input.flows.length - AUDIT_REPORT_FLOWS_SHOWN, 'more flow')}_`);
    blocks.push(section(`*Would have blocked*\n${shown.join('\n')}`));
    fallback = `Audit of request ${input.requestId} ended: it would have blocked ${summary}`;
  }
  const stay =
    `${policyList(inAudit)} ${inAudit.length === 1 ? 'stays' : 'stay'} in audit mode: nothing is dropped until ` +
    `${inAudit.length === 1 ? 'it is' : 'they are'} enforced. *Enforce* starts a new request for the same ` +
    'policies without the audit annotation, approved as usual.';
  blocks.push(section(changed.length === 0 ? stay : `${stay}\nMeanwhile ${joinAnd(changed)}.`));
  blocks.push(where);
  blocks.push(
    actions('audit', [
      button({
        actionId: AUDIT_ENFORCE_ACTION_ID,
        text: 'Enforce',
        value: input.requestId,
        style: 'primary',
      }),
    ]),
  );
  return message(escapeMrkdwn(fallback), blocks);
}
