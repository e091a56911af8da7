/**
 * The replies around a request's life: the thread reply once the workers are done (applied policies
 * by namespace and name, or the API's reason), and the ephemeral "submitted" that replaces the
 * requester's preview. Both name the cluster and the requester.
 */
import type { RequestRecord } from '../../../contracts/request-record';
import { type Block, context, message, section, type SlackMessage } from './blocks';
import { channelMention, escapeMrkdwn, fitText, formatUtc, mention, plural, verbatim } from './mrkdwn';
import { clusterName } from './parts';
import { requestId, statusLines, statusShort } from './request-status';

const POLICIES_SHOWN = 25;

function policyList(record: RequestRecord): string {
  const names = record.policies.map(
    (p) => `• \`${escapeMrkdwn(p.metadata.namespace)}/${escapeMrkdwn(p.metadata.name)}\``,
  );
  const shown = names.slice(0, POLICIES_SHOWN);
  if (names.length > POLICIES_SHOWN) shown.push(`_…and ${plural(names.length - POLICIES_SHOWN, 'more')}_`);
  return shown.join('\n');
}

/** The thread reply under the approval message after apply, failure, rejection or expiry. */
export function renderOutcomeReply(record: RequestRecord): SlackMessage {
  const who = mention(record.requester);
  const cluster = clusterName(record.cluster);
  const id = requestId(record);
  const revoke = record.action === 'revoke';
  let head: string;
  let fallback: string;
  const blocks: Block[] = [];
  switch (record.state) {
    case 'applied': {
      const at = record.appliedAt === undefined ? '' : ` at ${formatUtc(record.appliedAt)}`;
      const verb = revoke ? 'Deleted from' : 'Applied on';
      head =
        `:white_check_mark: ${verb} cluster ${cluster}${at}: ${who}, your request ${id}` +
        (record.decidedBy === undefined ? '' : ` (approved by ${mention(record.decidedBy)})`);
      fallback = `${verb} cluster ${escapeMrkdwn(record.cluster)}: request ${escapeMrkdwn(record.id)} for ${who}`;
      blocks.push(section(head), section(`*${revoke ? 'Deleted' : 'Applied'}*\n${policyList(record)}`));
      break;
    }
    case 'failed': {
      const tries = record.attempts === undefined ? '' : ` after ${plural(record.attempts, 'attempt')}`;
      const why = verbatim(record.reason ?? 'no reason given', 2000);
      head = `:x: Failed on cluster ${cluster}${tries}: ${who}, your request ${id} could not be ${revoke ? 'revoked' : 'applied'}.`;
      fallback = `Failed on cluster ${escapeMrkdwn(record.cluster)}: request ${escapeMrkdwn(record.id)} for ${who}`;
      blocks.push(
        section(head),
        section(`*Reason*\n${why}`),
        section(`*Policies*\n${policyList(record)}`),
        context('Check `/netpol pending`; the workers retry failures that may pass, not refusals.'),
      );
      break;
    }
    default: {
      head = `${who}, your request ${id} on cluster ${cluster}:\n${statusLines(record).join('\n')}`;
      fallback = `Request ${escapeMrkdwn(record.id)} on cluster ${escapeMrkdwn(record.cluster)} for ${who}: ${statusShort(record)}`;
      blocks.push(section(head));
    }
  }
  return message(fallback, blocks);
}

/** Replaces the preview once submitted: where approval happens and when the request expires. */
export function renderSubmitted(
  record: RequestRecord,
  options: { approvalChannel?: string } = {},
): SlackMessage {
  const channel = options.approvalChannel ?? record.approvalChannel;
  const where = channel === undefined ? '' : ` in ${channelMention(channel)}`;
  const text =
    `:inbox_tray: ${mention(record.requester)}, submitted as ${requestId(record)} on cluster ${clusterName(record.cluster)}; ` +
    `waiting for approval${where}. It expires at ${formatUtc(record.expiresAt)}; the outcome is posted in the approval message's thread.`;
  return message(
    `Submitted as ${escapeMrkdwn(record.id)} on cluster ${escapeMrkdwn(record.cluster)}; waiting for approval${where}`,
    [section(text), context(`*Command:* ${fitText(record.command, 1500)}`)],
  );
}
