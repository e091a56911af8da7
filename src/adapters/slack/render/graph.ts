/**
 * `/netpol graph <namespace>` (issue 10): the reply to the person who asked (the picture is on its
 * way, or there is nothing to draw) and the comment shared with the PNG in the channel. Pure: the
 * bot passes the counts in.
 */
import { context, message, section, type SlackMessage } from './blocks';
import { escapeMrkdwn, plural } from './mrkdwn';
import { whereAndWho } from './parts';

export interface GraphCounts {
  workloads: number;
  addresses: number;
  allowed: number;
  blocked: number;
}

export interface GraphReplyInput {
  cluster: string;
  user: string;
  namespace: string;
  counts: GraphCounts;
}

function drawn(counts: GraphCounts): string {
  return (
    `${plural(counts.workloads, 'workload')}, ${plural(counts.addresses, 'outside address', 'outside addresses')}; ` +
    `${plural(counts.allowed, 'allowed flow')} (green), ${plural(counts.blocked, 'blocked flow')} (red)`
  );
}

/** The comment posted with the PNG (files.completeUploadExternal's initial_comment, mrkdwn). */
export function graphComment(input: GraphReplyInput): string {
  return `:world_map: Observed flows to and from *${escapeMrkdwn(input.namespace)}*: ${drawn(input.counts)}. Asked by <@${input.user}> · cluster *${escapeMrkdwn(input.cluster)}*`;
}

/** To the person who asked: the picture is coming, or nothing was seen. */
export function renderGraphReply(input: GraphReplyInput): SlackMessage {
  const ns = escapeMrkdwn(input.namespace);
  const { counts } = input;
  const text =
    counts.allowed + counts.blocked === 0 && counts.workloads === 0
      ? `No flows were observed to or from *${ns}*, and it has no workloads: nothing to draw.`
      : `:world_map: The flow graph of *${ns}* is being posted in this channel: ${drawn(counts)}.`;
  return message(text.replace(/\*/g, ''), [section(text), context(whereAndWho(input.cluster, input.user))]);
}
