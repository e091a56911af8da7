/**
 * From a submitted draft to a decided request: submit (stored pending, expiry scheduled, approval
 * card posted), cancel, Approve/Reject (approver of every namespace, checked and recorded
 * atomically by the store; approval enqueues the apply job), and expiry. Every state change edits
 * the approval card in place through the outbound queue.
 */
import { renderPolicies } from '../core/policy/render-policies';
import type { RequestRecord } from '../contracts/request-record';
import {
  renderApprovalMessage,
  renderRefusal,
  renderSubmitted,
  type SlackMessage,
} from '../adapters/slack/render';
import { namespacesNotApprovable } from './authorize';
import type { BotContext } from './bot-context';

export interface DecisionInput {
  user: string;
  requestId: string;
  approve: boolean;
  /** Why (a rejection typed as `/netpol reject <id> <reason>`). */
  reason?: string;
  /** Where the clicked approval message is (used if the record has not learned it yet). */
  channel?: string;
  ts?: string;
}

export class Approvals {
  constructor(private readonly ctx: BotContext) {}

  /** Submit: the draft becomes a pending request, with its approval message and its expiry. */
  async submit(user: string, draftId: string): Promise<SlackMessage> {
    const draft = await this.ctx.deps.drafts.take(draftId, user);
    if (draft === undefined)
      return renderRefusal('this preview has expired or was already submitted; run the command again', {
        user,
      });
    const now = this.ctx.now();
    const record: RequestRecord = {
      ...draft,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ctx.deps.config.requestTtlMs).toISOString(),
    };
    await this.ctx.deps.store.create(record);
    await this.ctx.deps.queues.scheduleExpiry(record.id, this.ctx.deps.config.requestTtlMs);
    const message = renderApprovalMessage(record, {
      yaml: renderPolicies(record.policies, 'yaml'),
      now: now.toISOString(),
    });
    await this.ctx.deps.outbox.send(
      {
        kind: 'post',
        channel: this.ctx.deps.config.approvalChannel,
        text: message.text,
        blocks: message.blocks,
        recordApprovalFor: record.id,
      },
      { jobId: `approval-${record.id}` },
    );
    this.ctx.deps.log.info(
      { requestId: record.id, cluster: record.cluster, requester: user },
      'request submitted',
    );
    return renderSubmitted({ ...record, approvalChannel: this.ctx.deps.config.approvalChannel });
  }

  async cancel(user: string, draftId: string): Promise<SlackMessage> {
    const discarded = await this.ctx.deps.drafts.discard(draftId, user);
    return renderRefusal(
      discarded ? 'cancelled: nothing was submitted' : 'this preview has expired or was already submitted',
    );
  }

  /** Approve or Reject: checked and recorded atomically by the store; the message is edited in place. */
  async decide(input: DecisionInput): Promise<SlackMessage | undefined> {
    const record = await this.ctx.deps.store.get(input.requestId);
    if (record === undefined)
      return renderRefusal({ kind: 'not-found', requestId: input.requestId }, { user: input.user });
    const refused = await namespacesNotApprovable(
      this.ctx.deps.config,
      record.namespaces,
      input.user,
      this.ctx.deps.groupMembers,
    );
    if (refused.length > 0) {
      this.ctx.deps.log.warn(
        { requestId: record.id, user: input.user, namespaces: refused },
        'decision refused: not an approver',
      );
      return renderRefusal(
        { kind: 'not-approver', namespaces: refused },
        { cluster: record.cluster, user: input.user },
      );
    }
    const now = this.ctx.now().toISOString();
    const result = await this.ctx.deps.store.decide(record.id, {
      approve: input.approve,
      by: input.user,
      now,
      ...(input.reason === undefined ? {} : { reason: input.reason }),
    });
    if (!result.ok) {
      switch (result.refusal) {
        case 'self-approval':
          return renderRefusal({ kind: 'self-approval' }, { cluster: record.cluster, user: input.user });
        case 'expired':
          if (result.record !== undefined) await this.updateApprovalMessage(result.record, input);
          return renderRefusal(
            { kind: 'expired', at: record.expiresAt },
            { cluster: record.cluster, user: input.user },
          );
        case 'not-found':
          return renderRefusal({ kind: 'not-found', requestId: input.requestId }, { user: input.user });
        case 'not-pending': {
          const current = result.record ?? record;
          return renderRefusal(
            {
              kind: 'already-decided',
              state: current.state,
              ...(current.decidedBy === undefined ? {} : { by: current.decidedBy }),
              ...(current.decidedAt === undefined ? {} : { at: current.decidedAt }),
            },
            { cluster: record.cluster, user: input.user },
          );
        }
      }
    }
    const decided = result.record;
    if (input.approve) {
      await this.ctx.deps.queues.enqueueApply({
        requestId: decided.id,
        cluster: decided.cluster,
        policyHash: decided.policyHash,
      });
    }
    await this.updateApprovalMessage(decided, input);
    this.ctx.deps.log.info(
      { requestId: decided.id, by: input.user, state: decided.state },
      'request decided',
    );
    return undefined;
  }

  /** Due expiry: marks the request expired (if still pending) and edits its approval message. */
  async expire(requestId: string): Promise<void> {
    const result = await this.ctx.deps.store.expire(requestId, this.ctx.now().toISOString());
    if (result.ok) {
      await this.updateApprovalMessage(result.record, {});
      this.ctx.deps.log.info({ requestId }, 'request expired');
    }
  }

  private async updateApprovalMessage(
    record: RequestRecord,
    fallback: { channel?: string; ts?: string },
  ): Promise<void> {
    const channel = record.approvalChannel ?? fallback.channel;
    const ts = record.approvalTs ?? fallback.ts;
    if (channel === undefined || ts === undefined) return;
    const message = renderApprovalMessage(record, {
      yaml: renderPolicies(record.policies, 'yaml'),
      now: this.ctx.now().toISOString(),
    });
    await this.ctx.deps.outbox.send({
      kind: 'update',
      channel,
      ts,
      text: message.text,
      blocks: message.blocks,
      cardFor: record.id,
    });
  }
}
