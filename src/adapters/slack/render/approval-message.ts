/**
 * The approval message in the approvers' channel, in every state of its request. While the request
 * is pending (and not past its expiry) it carries Approve (value: the request id and the hash of the
 * policies shown, see approveButtonValue) and Reject (the request id); once decided, the same
 * function renders the decided variant without any button, and the bot edits the message in place,
 * so a second click finds nothing to press.
 */
import type { ClusterLiveness } from '../../../contracts/heartbeat';
import type { RequestRecord } from '../../../contracts/request-record';
import { ACTION_IDS, approveButtonValue } from './action-ids';
import {
  actions,
  type Block,
  button,
  context,
  divider,
  fieldsSection,
  header,
  message,
  section,
  type SlackMessage,
} from './blocks';
import { channelMention, escapeMrkdwn, formatUtc, joinAnd, mention, plural } from './mrkdwn';
import { auditWindowOf } from '../../../core/policy/audit-policies';
import { approvalYaml } from './approval-yaml';
import { renderFullYaml } from './full-yaml';
import { clusterName, commandSection, effectSection, warningsSection } from './parts';
import { isDecidable, requestId, statusLines, statusShort } from './request-status';
import { staleSnapshotNote, waitingForWorkerNote } from './status-notes';

export interface ApprovalMessageOptions {
  /** The YAML of `record.policies`, exactly as approved. */
  yaml: string;
  /** ISO-8601: decides "expires in" and whether a pending request is already past its expiry. */
  now: string;
  /**
   * The full YAML is posted in the card's thread (renderApprovalThread). Matters only when the card
   * cannot show the YAML whole: until then the pending card has no buttons, so nobody approves what
   * they could not read. Default false: the safe side.
   */
  fullYamlPosted?: boolean;
  /**
   * The cluster's worker and snapshot (issue 11): while pending, a silent worker's stale snapshot
   * is named; once approved, the card says which worker it waits for and when it was last seen.
   */
  liveness?: ClusterLiveness;
}

/** Namespace names are at most 63 characters: 20 of them fit a field's 2,000 characters. */
const NAMESPACES_SHOWN = 20;

function yamlTitle(record: RequestRecord): string {
  return `*${record.action === 'revoke' ? 'Policies to delete' : 'Policies'} (YAML)*`;
}

/** ` in audit mode for 1h (nothing dropped)`: the policies carry netpol.io/audit (issue 10). */
function auditText(record: RequestRecord): string {
  const window = record.action === 'revoke' ? undefined : auditWindowOf(record.policies);
  return window === undefined
    ? ''
    : ` *in audit mode for ${escapeMrkdwn(window)}* (nothing dropped until enforced)`;
}

export function renderApprovalMessage(record: RequestRecord, options: ApprovalMessageOptions): SlackMessage {
  const open = isDecidable(record, options.now);
  const revoke = record.action === 'revoke';
  const count = plural(record.policies.length, 'NetworkPolicy', 'NetworkPolicies');
  const shownNs = record.namespaces.slice(0, NAMESPACES_SHOWN).map((n) => `\`${escapeMrkdwn(n)}\``);
  if (record.namespaces.length > NAMESPACES_SHOWN)
    shownNs.push(`and ${record.namespaces.length - NAMESPACES_SHOWN} more`);
  const namespaces = shownNs.join(', ');
  const yaml = approvalYaml(options.yaml, {
    title: yamlTitle(record),
    open,
    threadPosted: options.fullYamlPosted === true,
  });
  const blocks: Block[] = [
    header(`${revoke ? 'Revoke' : 'Policy'} request ${record.id} on ${record.cluster}`),
    section(
      `${mention(record.requester)} asks to ${revoke ? 'delete' : 'apply'} ${count}${auditText(record)} on cluster ${clusterName(record.cluster)}`,
    ),
    fieldsSection([
      `*Requested by*\n${mention(record.requester)}`,
      `*Cluster*\n${escapeMrkdwn(record.cluster)}`,
      `*Namespaces*\n${namespaces || '_none_'}`,
      open ? `*Expires*\n${formatUtc(record.expiresAt)}` : `*Submitted*\n${formatUtc(record.createdAt)}`,
    ]),
    commandSection(record.command, record.text),
    effectSection(record.effect),
  ];
  const stale = open ? staleSnapshotNote(options.liveness, options.now) : undefined;
  if (stale !== undefined) blocks.push(context(stale));
  const waiting =
    record.state === 'approved' || record.state === 'applying'
      ? waitingForWorkerNote(options.liveness, options.now)
      : undefined;
  blocks.push(
    warningsSection(record.warnings),
    ...yaml.blocks,
    divider(),
    section([...statusLines(record, options.now), ...(waiting === undefined ? [] : [waiting])].join('\n')),
  );
  if (open && (!yaml.needsThread || options.fullYamlPosted === true)) {
    blocks.push(
      actions('netpol_decision', [
        button({
          actionId: ACTION_IDS.approve,
          text: 'Approve',
          value: approveButtonValue(record.id, record.policyHash),
          style: 'primary',
          confirm: {
            title: `${revoke ? 'Delete' : 'Apply'} on ${record.cluster}?`,
            text: `${revoke ? 'Delete' : 'Apply'} ${count} in ${joinAnd(record.namespaces)} on cluster ${record.cluster}, as shown above${yaml.needsThread ? ' and in the thread' : ''}.`,
            confirm: 'Approve',
            deny: 'Back',
          },
        }),
        button({ actionId: ACTION_IDS.reject, text: 'Reject', value: record.id, style: 'danger' }),
      ]),
    );
  }
  blocks.push(
    context(
      `Request ${requestId(record)} · submitted ${formatUtc(record.createdAt)} in ${channelMention(record.requestChannel)}` +
        (open ? ' · approvers of every namespace listed may decide; the requester may not' : ''),
    ),
  );
  return message(
    `${revoke ? 'Revoke' : 'Policy'} request ${escapeMrkdwn(record.id)} on cluster ${escapeMrkdwn(record.cluster)} from ${mention(record.requester)}: ` +
      `${escapeMrkdwn(record.command)} (${statusShort(record, options.now)})`,
    blocks,
  );
}

/**
 * What goes in the card's thread before its buttons: the full YAML, in as many messages as it takes,
 * when the card cannot show it whole; nothing otherwise.
 */
export function renderApprovalThread(record: RequestRecord, yaml: string): SlackMessage[] {
  if (!approvalYaml(yaml, { title: yamlTitle(record), open: false, threadPosted: false }).needsThread)
    return [];
  return renderFullYaml({
    cluster: record.cluster,
    requestId: record.id,
    yaml,
    maxMessages: Number.POSITIVE_INFINITY,
  });
}
