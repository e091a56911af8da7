/**
 * The full YAML of a request too large for its approval card, posted in the card's thread before the
 * card gets its Approve and Reject buttons: an approver can read every line before anything can be
 * approved (renderApprovalThread says what goes there; nothing for a request that fits the card).
 *
 * A chain driven by the outbound worker's `onPosted` hook, one message at a time: the card's post
 * (`recordApprovalFor`) enqueues part 0 in its thread; each part's post (`approvalYamlPart`) enqueues
 * the next; after the last, the card is edited with its buttons. Each step is enqueued only once the
 * previous message is in Slack, so no retry or reordering in the outbound queue can give the card its
 * buttons before the whole YAML is there; a part Slack refuses stops the chain, and the card stays
 * without buttons (it says the YAML is being posted) until the request expires.
 *
 * Every step reads the request again and renders from it; a retried hook re-enqueues the same job
 * ids, which the outbound queue ignores. The buttons' edit is a card update (`cardFor`): if the
 * request was decided or expired meanwhile, the outbound worker sends its current state instead. The chain carries the policies' hash: if the stored
 * policies change midway, it stops rather than finish a thread that mixes two versions.
 */
import type { Logger } from 'pino';
import type { SlackOutboundJob } from '../contracts/queues';
import { processRequestYaml, type RequestYaml } from '../contracts/request-yaml';
import type { RequestStoreApi } from '../adapters/redis/request-store-api';
import { renderApprovalMessage, renderApprovalThread } from '../adapters/slack/render';

export interface ApprovalThreadDeps {
  store: Pick<RequestStoreApi, 'get'>;
  outbox: { send(job: SlackOutboundJob, options?: { jobId?: string }): Promise<void> };
  clock: () => Date;
  log: Logger;
  /** Default: this process's (processRequestYaml), shared with the bot's handlers. */
  requestYaml?: RequestYaml;
}

/** Where a chain step stands: the card it belongs to and the part to post next. */
interface Step {
  requestId: string;
  channel: string;
  cardTs: string;
  next: number;
  /** The hash the chain started from; undefined at the first step. */
  policyHash?: string;
}

export class ApprovalThread {
  constructor(private readonly deps: ApprovalThreadDeps) {}

  /** For the outbound worker's `onPosted` (after the card's ts is recorded): the chain's next step. */
  async afterPosted(job: SlackOutboundJob, delivered: { channel: string; ts: string }): Promise<void> {
    if (job.kind !== 'post') return;
    if (job.recordApprovalFor !== undefined) {
      await this.step({
        requestId: job.recordApprovalFor,
        channel: delivered.channel,
        cardTs: delivered.ts,
        next: 0,
      });
    } else if (job.approvalYamlPart !== undefined && job.threadTs !== undefined) {
      const part = job.approvalYamlPart;
      await this.step({
        requestId: part.requestId,
        channel: delivered.channel,
        cardTs: job.threadTs,
        next: part.part + 1,
        policyHash: part.policyHash,
      });
    }
  }

  private async step(at: Step): Promise<void> {
    const record = await this.deps.store.get(at.requestId);
    if (record === undefined) return;
    if (at.policyHash !== undefined && record.policyHash !== at.policyHash) {
      this.deps.log.warn({ requestId: at.requestId }, 'approval thread stopped: the stored policies changed');
      return;
    }
    // The stored YAML once verified, else the policies rendered again: every part and the card with
    // its buttons show the rendering of the policies whose hash the buttons carry.
    const { yaml, stored } = (this.deps.requestYaml ?? processRequestYaml).resolve(record);
    if (stored === 'altered') {
      this.deps.log.warn(
        { requestId: record.id },
        'stored yaml is not the rendering of the policies: rendered again',
      );
    }
    const parts = renderApprovalThread(record, yaml);
    if (parts.length === 0) return; // The card shows the whole YAML and was posted with its buttons.
    const part = parts[at.next];
    if (part !== undefined) {
      await this.deps.outbox.send(
        {
          kind: 'post',
          channel: at.channel,
          threadTs: at.cardTs,
          text: part.text,
          blocks: part.blocks,
          approvalYamlPart: { requestId: record.id, part: at.next, policyHash: record.policyHash },
        },
        { jobId: `approval-yaml-${record.id}-${at.next}` },
      );
      return;
    }
    const card = renderApprovalMessage(record, {
      yaml,
      now: this.deps.clock().toISOString(),
      fullYamlPosted: true,
    });
    await this.deps.outbox.send(
      {
        kind: 'update',
        channel: at.channel,
        ts: at.cardTs,
        text: card.text,
        blocks: card.blocks,
        // Decided or expired by the time it is sent: the worker renders the record's state instead.
        cardFor: record.id,
      },
      { jobId: `approval-buttons-${record.id}` },
    );
    this.deps.log.info({ requestId: record.id, parts: parts.length }, 'approval thread posted');
  }
}
