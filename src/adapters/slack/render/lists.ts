/**
 * The list replies: open requests and failed applies (`/netpol pending`), a namespace's audit trail
 * (`/netpol history`), and help. One message each; a list too long for it ends with a note.
 */
import type { AuditEntry, RequestRecord, RequestState } from '../../../contracts/request-record';
import { type Block, context, message, section, type SlackMessage } from './blocks';
import {
  channelMention,
  code,
  escapeMrkdwn,
  formatUtc,
  isSlackUserId,
  mention,
  plural,
  relativeTo,
  verbatim,
} from './mrkdwn';
import { codeSections, packSections, paginateSections } from './layout';
import { clusterName, whereAndWho } from './parts';
import { isDecidable, requestId, statusShort } from './request-status';

const COMMAND_BUDGET = 300;
const DETAIL_BUDGET = 400;
const NAMESPACES_SHOWN = 5;

export interface PendingInput {
  /** Absent: every cluster's requests (each line then names its cluster). */
  cluster?: string;
  records: readonly RequestRecord[];
  /** ISO-8601: for "expires in". */
  now?: string;
  user?: string;
}

/** Failed applies first (they need someone), then by creation time. */
const ORDER: Record<RequestState, number> = {
  failed: 0,
  'pending-approval': 1,
  approved: 2,
  applying: 2,
  applied: 3,
  rejected: 3,
  expired: 3,
};

function pendingLine(record: RequestRecord, now: string | undefined, showCluster: boolean): string {
  const where = showCluster ? ` · ${clusterName(record.cluster)}` : '';
  const named = record.namespaces.slice(0, NAMESPACES_SHOWN).map(code);
  if (record.namespaces.length > NAMESPACES_SHOWN)
    named.push(`${record.namespaces.length - NAMESPACES_SHOWN} more`);
  const ns = named.length === 0 ? '' : ` in ${named.join(', ')}`;
  let status = statusShort(record, now);
  if (record.state === 'pending-approval' && now !== undefined && isDecidable(record, now)) {
    if (record.approvalChannel !== undefined) status += ` in ${channelMention(record.approvalChannel)}`;
    status += `, expires ${relativeTo(record.expiresAt, now) ?? `at ${formatUtc(record.expiresAt)}`}`;
  }
  if (record.state === 'failed' && record.attempts !== undefined)
    status += ` (${plural(record.attempts, 'attempt')})`;
  return `• ${requestId(record)}${where} · ${mention(record.requester)}${ns}: ${code(record.command.slice(0, COMMAND_BUDGET))}\n      ${status}`;
}

export function renderPending(input: PendingInput): SlackMessage {
  const records = [...input.records].sort(
    (a, b) =>
      ORDER[a.state] - ORDER[b.state] || (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0),
  );
  const scope = input.cluster === undefined ? 'all clusters' : `cluster ${clusterName(input.cluster)}`;
  const failed = records.filter((r) => r.state === 'failed').length;
  const summary =
    records.length === 0
      ? `No open requests on ${scope}.`
      : `*Open requests* on ${scope}: ${records.length - failed} open, ${failed} failed`;
  const sections = packSections(records.map((r) => pendingLine(r, input.now, input.cluster === undefined)));
  const [body = []] = paginateSections(sections, {
    reserveBlocks: 2,
    reserveChars: 600,
    maxPages: 1,
    moreNote: (omitted) => `_…${plural(omitted, 'more request')} not shown._`,
  });
  const blocks: Block[] = [
    section(`:clipboard: ${summary}`),
    ...body,
    context(whereAndWho(input.cluster, input.user) || scope),
  ];
  const plainScope = input.cluster === undefined ? 'all clusters' : `cluster ${escapeMrkdwn(input.cluster)}`;
  return message(`${plural(records.length, 'open request')} on ${plainScope}`, blocks);
}

/** The trail of a namespace (`history <namespace>`) or of one request (`history <request-id>`). */
export type HistoryInput = {
  cluster: string;
  entries: readonly AuditEntry[];
  user?: string;
} & ({ namespace: string } | { requestId: string });

function actor(actorId: string): string {
  if (isSlackUserId(actorId)) return mention(actorId);
  if (actorId.startsWith('worker:')) return `the ${escapeMrkdwn(actorId.slice('worker:'.length))} worker`;
  if (actorId === 'system') return 'netpol';
  return escapeMrkdwn(actorId);
}

const VERBS: Record<AuditEntry['action'], string> = {
  submitted: 'submitted by',
  approved: 'approved by',
  rejected: 'rejected by',
  expired: 'expired',
  'apply-started': 'apply started by',
  applied: 'applied by',
  'apply-retry': 'apply retried by',
  failed: 'failed in',
  refused: 'refused for',
};

function historyLine(entry: AuditEntry): string {
  const verb = VERBS[entry.action];
  const who = entry.action === 'expired' ? '' : ` ${actor(entry.actor)}`;
  const transition =
    entry.from !== undefined && entry.to !== undefined && entry.from !== entry.to
      ? ` (${escapeMrkdwn(entry.from)} → ${escapeMrkdwn(entry.to)})`
      : '';
  const detail =
    entry.detail === undefined || entry.detail === '' ? '' : `: ${verbatim(entry.detail, DETAIL_BUDGET)}`;
  return `• ${formatUtc(entry.at)} · ${code(entry.requestId)} ${verb}${who}${transition}${detail}`;
}

/** Newest first. */
export function renderHistory(input: HistoryInput): SlackMessage {
  const entries = [...input.entries].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  const subject = 'requestId' in input ? input.requestId : input.namespace;
  const where = `${'requestId' in input ? 'request ' : ''}${code(subject)} on cluster ${clusterName(input.cluster)}`;
  const summary =
    entries.length === 0
      ? `No history for ${where}.`
      : `*History* of ${where}: ${plural(entries.length, 'entry', 'entries')}, newest first`;
  const [body = []] = paginateSections(packSections(entries.map(historyLine)), {
    reserveBlocks: 2,
    reserveChars: 600,
    maxPages: 1,
    moreNote: (omitted) => `_…${plural(omitted, 'older entry', 'older entries')} not shown._`,
  });
  const blocks: Block[] = [
    section(`:scroll: ${summary}`),
    ...body,
    context(whereAndWho(input.cluster, input.user)),
  ];
  return message(
    `History of ${escapeMrkdwn(subject)} on cluster ${escapeMrkdwn(input.cluster)}: ${plural(entries.length, 'entry', 'entries')}`,
    blocks,
  );
}

/** A help page (preformatted plain text) in code blocks, split at lines to fit the section limit. */
export function renderHelp(helpText: string, where: { cluster?: string; user?: string } = {}): SlackMessage {
  const blocks: Block[] = codeSections(helpText)
    .slice(0, 20)
    .map((packed) => packed.block);
  if (blocks.length === 0) blocks.push(section('No help text.'));
  const line = whereAndWho(where.cluster, where.user);
  if (line !== '') blocks.push(context(line));
  const first = helpText.split('\n')[0]?.trim() ?? '';
  return message(first === '' ? 'netpol help' : `netpol help: ${escapeMrkdwn(first)}`, blocks);
}
