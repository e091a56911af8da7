/**
 * What a worker posts when a request's work ends: one thread reply under the approval message (or, if
 * that message was never recorded, a post in the channel where it was asked), saying what was applied
 * or removed on which cluster and on whose approval, or why it failed. Pure: record and outcome in,
 * SlackOutboundJob out. Deliberately plain; the richer renderers live in src/slack-render/.
 */
import type { SlackOutboundJob } from '../queue-contract';
import type { RequestRecord } from '../requests/request-record';

export type Outcome =
  | { kind: 'applied' }
  /** The Kubernetes API refused, or the attempts ran out. */
  | { kind: 'failed'; reason: string }
  /** netpol itself refused (the hash changed, a policy it does not own). */
  | { kind: 'refused'; reason: string };

/** Slack's limit for a section's text. */
const SECTION_LIMIT = 3000;
/** Names listed before "and N more". */
const NAMES_SHOWN = 20;

/** Slack mrkdwn treats these three as control characters (https://api.slack.com/reference/surfaces/formatting). */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function policyNames(record: RequestRecord): string {
  const names = record.policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  const shown = names.slice(0, NAMES_SHOWN).map((n) => `\`${n}\``);
  const more = names.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

function policies(count: number): string {
  return count === 1 ? '1 NetworkPolicy' : `${count} NetworkPolicies`;
}

export function outcomeText(record: RequestRecord, outcome: Outcome): string {
  const count = policies(record.policies.length);
  const names = policyNames(record);
  const approval = record.decidedBy === undefined ? '' : `, approved by <@${record.decidedBy}>`;
  const requested = ` (requested by <@${record.requester}>, request \`${record.id}\`)`;
  switch (outcome.kind) {
    case 'applied':
      return record.action === 'revoke'
        ? `:white_check_mark: Removed ${count} from cluster \`${record.cluster}\`${approval}${requested}: ${names}`
        : `:white_check_mark: Applied ${count} on cluster \`${record.cluster}\`${approval}${requested}: ${names}`;
    case 'failed':
    case 'refused': {
      const verb = record.action === 'revoke' ? 'remove' : 'apply';
      const who = outcome.kind === 'refused' ? 'netpol refused to' : 'Could not';
      return `:x: ${who} ${verb} ${count} on cluster \`${record.cluster}\`${requested}: ${escape(outcome.reason)}`;
    }
  }
}

export function outcomeMessage(record: RequestRecord, outcome: Outcome): SlackOutboundJob {
  const text = clip(outcomeText(record, outcome), SECTION_LIMIT);
  const blocks = [
    { type: 'section', text: { type: 'mrkdwn', text } },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `netpol worker · cluster \`${record.cluster}\` · \`${record.id}\`` },
      ],
    },
  ];
  const inThread = record.approvalChannel !== undefined && record.approvalTs !== undefined;
  const job: SlackOutboundJob = {
    kind: 'post',
    channel: inThread ? (record.approvalChannel as string) : record.requestChannel,
    text,
    blocks,
  };
  if (inThread) job.threadTs = record.approvalTs;
  return job;
}
