/**
 * What the workers tell Slack when a request is done, as outbound jobs (the workers hold no Slack
 * token; the bot's outbound worker posts them): the outcome as a reply in the approval message's
 * thread, and the approval message itself edited to its final state ("Applied at ...", "Failed:
 * ..."), so the card never stays at "queued". Rendering is the shared renderers' job.
 */
import type { SlackOutboundJob } from '../contracts/queues';
import type { RequestRecord } from '../contracts/request-record';
import { processRequestYaml, type RequestYaml } from '../contracts/request-yaml';
import { renderApprovalMessage, renderOutcomeReply } from '../adapters/slack/render';

export type Outcome =
  | { kind: 'applied' }
  /** The Kubernetes API refused, or the attempts ran out. */
  | { kind: 'failed'; reason: string }
  /** netpol itself refused (the hash changed, a policy it does not own). */
  | { kind: 'refused'; reason: string };

/**
 * The jobs for a request that reached its final state (`record` as the store returned it). The card
 * shows the stored YAML only once verified (contracts/request-yaml.ts): a worker did not render it, so
 * it renders the policies again; the bot's outbound worker re-renders the card at delivery anyway.
 */
export function outcomeJobs(
  record: RequestRecord,
  now: string,
  requestYaml: RequestYaml = processRequestYaml,
): SlackOutboundJob[] {
  const reply = renderOutcomeReply(record);
  const jobs: SlackOutboundJob[] = [
    {
      kind: 'post',
      channel: record.approvalChannel ?? record.requestChannel,
      text: reply.text,
      blocks: reply.blocks,
      ...(record.approvalTs === undefined ? {} : { threadTs: record.approvalTs }),
    },
  ];
  if (record.approvalChannel !== undefined && record.approvalTs !== undefined) {
    const card = renderApprovalMessage(record, { yaml: requestYaml.of(record), now });
    jobs.push({
      kind: 'update',
      channel: record.approvalChannel,
      ts: record.approvalTs,
      text: card.text,
      blocks: card.blocks,
      cardFor: record.id,
    });
  }
  return jobs;
}
