/**
 * Drop alerts (issue 10): one message per flow group and window, edited in place as its count
 * grows ("frontend/nginx -> backend/nginx tcp/80: 1,204 drops in the last 5 min, 3 nodes, blocked
 * by default-deny-ingress"), with the evaluator's words for why no rule matched and a **Request
 * allow** button; and the digest posted when a window closes. Pure: the alert worker passes the
 * names and the evaluator's sentences in.
 */
import { ALERT_REQUEST_ALLOW_ACTION_ID } from './action-ids';
import { actions, type Block, button, context, message, section, type SlackMessage } from './blocks';
import { escapeMrkdwn, fitText, formatDuration, formatUtc, plural } from './mrkdwn';
import { clusterName, whereAndWho } from './parts';

export interface AlertInput {
  cluster: string;
  /** `frontend/nginx`, or an outside address (with its nearest known name: `203.0.113.7 (…)`). */
  source: string;
  destination: string;
  /** `tcp/80` */
  port: string;
  direction: 'ingress' | 'egress';
  count: number;
  windowMs: number;
  /** ISO times of the window (start, end). */
  windowStart: string;
  windowEnd: string;
  nodes: string[];
  /** The policies isolating the side that dropped it (`default-deny-ingress`, or `ns/name` elsewhere). */
  blockedBy: string[];
  /** The evaluator's sentence for that side ("isolated for ingress by backend/default-deny-ingress; …"). */
  reason: string;
  /** The dataplane's own reason code (NO_RULE_INGRESS, ...). */
  dataplaneReason: string;
  /** The Request allow button's value; no button when absent (nothing to allow, e.g. no pod known). */
  requestAllow?: string;
}

/** `1,204 drops`, `1 drop` */
export function countOf(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : `${word}s`}`;
}

/** The headline, as the notification and the fallback text show it. */
export function alertHeadline(input: AlertInput): string {
  const parts = [
    `${countOf(input.count, 'drop')} in the last ${formatDuration(input.windowMs)}`,
    plural(input.nodes.length, 'node'),
  ];
  if (input.blockedBy.length > 0) parts.push(`blocked by ${input.blockedBy.join(', ')}`);
  return `${input.source} -> ${input.destination} ${input.port}: ${parts.join(', ')}`;
}

export function renderAlert(input: AlertInput): SlackMessage {
  const headline = alertHeadline(input);
  const blocks: Block[] = [
    section(`:no_entry: *${fitText(headline, 2800)}*`),
    section(`_Why:_ ${fitText(input.reason, 2800)}`),
    context(
      `cluster ${clusterName(input.cluster)} · ${input.direction} · ${formatUtc(input.windowStart)} – ${formatUtc(input.windowEnd)}`,
      `nodes: ${fitText(input.nodes.join(', '), 1500)} · dataplane: ${escapeMrkdwn(input.dataplaneReason)}`,
    ),
  ];
  if (input.requestAllow !== undefined) {
    blocks.push(
      actions('alert', [
        button({ actionId: ALERT_REQUEST_ALLOW_ACTION_ID, text: 'Request allow', value: input.requestAllow }),
      ]),
    );
  }
  // The fallback is mrkdwn too (notifications, screen readers): escaped like the blocks.
  return message(escapeMrkdwn(headline), blocks);
}

export interface AlertDigestInput {
  cluster: string;
  windowStart: string;
  windowEnd: string;
  /** The window's groups routed to this channel, most drops first. */
  flows: { headline: string; count: number }[];
  /** Groups left out because they were muted. */
  muted: number;
}

const DIGEST_LINES = 20;

export function renderAlertDigest(input: AlertDigestInput): SlackMessage {
  const total = input.flows.reduce((sum, f) => sum + f.count, 0);
  const head =
    `Drops on ${input.cluster} from ${formatUtc(input.windowStart)} to ${formatUtc(input.windowEnd)}: ` +
    `${countOf(total, 'drop')} in ${plural(input.flows.length, 'flow')}`;
  const shown = input.flows.slice(0, DIGEST_LINES);
  const lines = shown.map((f) => `• ${fitText(f.headline, 130)}`);
  if (input.flows.length > shown.length)
    lines.push(`_…and ${plural(input.flows.length - shown.length, 'more flow')}_`);
  const blocks: Block[] = [
    section(
      `:bar_chart: *Drop digest* for cluster ${clusterName(input.cluster)}, ${formatUtc(input.windowStart)} – ${formatUtc(input.windowEnd)}`,
    ),
    section(lines.length === 0 ? '_No drops._' : lines.join('\n')),
  ];
  if (input.muted > 0) blocks.push(context(`${plural(input.muted, 'muted flow')} not listed`));
  return message(head, blocks);
}

export interface MuteReplyInput {
  cluster: string;
  user: string;
  /** `backend`, `frontend/nginx -> backend` */
  target: string;
  /** ISO time the mute ends; absent for an unmute. */
  until?: string;
  /** Unmute of something that was not muted. */
  notMuted?: boolean;
}

/** The answer to `/netpol mute` and `/netpol unmute`. */
export function renderMuteReply(input: MuteReplyInput): SlackMessage {
  const target = escapeMrkdwn(input.target);
  const text =
    input.until !== undefined
      ? `:zipper_mouth_face: Drop alerts for \`${target}\` are muted until ${formatUtc(input.until)}.`
      : input.notMuted === true
        ? `Drop alerts for \`${target}\` were not muted.`
        : `:loud_sound: Drop alerts for \`${target}\` are unmuted.`;
  return message(text.replace(/`/g, ''), [section(text), context(whereAndWho(input.cluster, input.user))]);
}

export interface MuteListInput {
  cluster: string;
  user: string;
  /** The mutes in force: target (`backend`, `frontend/nginx -> backend`) and when it ends (ISO). */
  mutes: { target: string; until: string }[];
}

/** `/netpol mute` alone: what is muted, until when. */
export function renderMuteList(input: MuteListInput): SlackMessage {
  const lines = input.mutes.map((m) => `• \`${escapeMrkdwn(m.target)}\` until ${formatUtc(m.until)}`);
  const head =
    input.mutes.length === 0
      ? 'No drop alerts are muted.'
      : `${plural(input.mutes.length, 'mute')} in force:`;
  return message(head, [
    section([head, ...lines.slice(0, 40)].join('\n')),
    context(whereAndWho(input.cluster, input.user)),
  ]);
}
