/**
 * From a submitted draft to a decided request: submit (stored pending, expiry scheduled, approval
 * card posted), cancel, Approve/Reject (approver of every namespace the policies live in, bound to the
 * policies' hash the card showed, checked and recorded atomically by the store; every refusal
 * audited; approval enqueues the apply job), and expiry. Every state change edits
 * the approval card in place through the outbound queue.
 */
import { policyHash } from '../contracts/policy-hash';
import type { RequestRecord } from '../contracts/request-record';
import { processRequestYaml, type RequestYaml } from '../contracts/request-yaml';
import { decidedContentOf } from '../adapters/redis/request-store-api';
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
  /**
   * The hash of the policies the approver's card showed (the Approve button's value carries it, see
   * parseDecisionButtonValue). An approval without it, or with another, is refused.
   */
  policyHash?: string;
  /** Why (a rejection typed as `/netpol reject <id> <reason>`). */
  reason?: string;
  /** Where the clicked approval message is (used if the record has not learned it yet). */
  channel?: string;
  ts?: string;
}

const HASH_MISMATCH =
  'the policies of this request are not the ones its card showed (they were changed after the card was posted); nothing was approved. Ask the requester to submit the change again';
const HASH_MISSING =
  'this Approve button does not say which policies it approves (the card predates that check); nothing was approved. Ask the requester to submit the change again';

export class Approvals {
  constructor(private readonly ctx: BotContext) {}

  /** The draft's YAML, verified before any card shows it (contracts/request-yaml.ts). */
  private get requestYaml(): RequestYaml {
    return this.ctx.deps.requestYaml ?? processRequestYaml;
  }

  /** Submit: the draft becomes a pending request, with its approval message and its expiry. */
  async submit(user: string, draftId: string): Promise<SlackMessage> {
    const draft = await this.ctx.deps.drafts.take(draftId, user);
    if (draft === undefined)
      return renderRefusal('this preview has expired or was already submitted; run the command again', {
        user,
      });
    const now = this.ctx.now();
    // The draft came back from Redis: its YAML is stored only once verified to be the rendering of
    // its policies (an altered text is replaced by a fresh rendering, never stored or shown).
    const { yaml, stored } = this.requestYaml.resolve(draft);
    if (stored === 'altered') {
      this.ctx.deps.log.warn(
        { requestId: draft.id },
        'draft yaml is not the rendering of its policies: rendered again',
      );
    }
    const record: RequestRecord = {
      ...draft,
      yaml,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ctx.deps.config.requestTtlMs).toISOString(),
    };
    await this.ctx.deps.store.create(record);
    await this.ctx.deps.queues.scheduleExpiry(record.id, this.ctx.deps.config.requestTtlMs);
    const liveness = await this.ctx.liveness(record.cluster);
    const message = renderApprovalMessage(record, {
      yaml,
      now: now.toISOString(),
      ...(liveness === undefined ? {} : { liveness }),
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

  /**
   * Approve or Reject, bound to the content (the trust model is in the README): the approvers checked
   * are those of the namespaces the stored policies live in (not the stored `namespaces` field); an
   * approval must carry the hash its card showed, equal to the stored hash and to the hash of the
   * stored policies, recomputed here; the store records the decision only if the policies are still
   * the ones checked. Every refusal is audited on the request (who, when, why). The card is edited
   * in place.
   */
  async decide(input: DecisionInput): Promise<SlackMessage | undefined> {
    const { store, log } = this.ctx.deps;
    const record = await store.get(input.requestId);
    if (record === undefined)
      return renderRefusal({ kind: 'not-found', requestId: input.requestId }, { user: input.user });
    const where = { cluster: record.cluster, user: input.user };
    const verb = input.approve ? 'approve' : 'reject';
    const content = decidedContentOf(record);
    const now = this.ctx.now().toISOString();
    const refuse = (why: string) =>
      store.refuse(record.id, { by: input.user, now, why, namespaces: content.namespaces });

    const refused = await namespacesNotApprovable(
      this.ctx.deps.config,
      content.namespaces,
      input.user,
      this.ctx.deps.groupMembers,
    );
    if (refused.length > 0) {
      log.warn(
        { requestId: record.id, user: input.user, namespaces: refused },
        'decision refused: not an approver',
      );
      await refuse(`${verb} refused: not an approver for ${refused.join(', ')}`);
      return renderRefusal({ kind: 'not-approver', namespaces: refused }, where);
    }

    if (input.approve) {
      const recomputed = policyHash(record.policies);
      if (input.policyHash !== record.policyHash || recomputed !== record.policyHash) {
        log.warn(
          {
            requestId: record.id,
            user: input.user,
            clickedHash: input.policyHash,
            storedHash: record.policyHash,
            recomputedHash: recomputed,
          },
          'decision refused: policy hash mismatch',
        );
        const missing = input.policyHash === undefined;
        await refuse(
          missing
            ? 'approve refused: the click did not carry the hash of the policies shown'
            : 'approve refused: the stored policies are not the ones shown (hash mismatch)',
        );
        return renderRefusal(missing ? HASH_MISSING : HASH_MISMATCH, where);
      }
    }

    const result = await store.decide(record.id, {
      approve: input.approve,
      by: input.user,
      now,
      content,
      ...(input.reason === undefined ? {} : { reason: input.reason }),
    });
    if (!result.ok) {
      switch (result.refusal) {
        case 'self-approval':
          return renderRefusal({ kind: 'self-approval' }, where);
        case 'expired':
          if (result.record !== undefined) await this.updateApprovalMessage(result.record, input);
          return renderRefusal({ kind: 'expired', at: record.expiresAt }, where);
        case 'not-found':
          return renderRefusal({ kind: 'not-found', requestId: input.requestId }, { user: input.user });
        case 'changed':
          log.warn(
            { requestId: record.id, user: input.user },
            'decision refused: policies changed meanwhile',
          );
          return renderRefusal(HASH_MISMATCH, where);
        case 'not-pending': {
          const current = result.record ?? record;
          return renderRefusal(
            {
              kind: 'already-decided',
              state: current.state,
              ...(current.decidedBy === undefined ? {} : { by: current.decidedBy }),
              ...(current.decidedAt === undefined ? {} : { at: current.decidedAt }),
            },
            where,
          );
        }
      }
    }
    const decided = result.record;
    if (input.approve) {
      await this.ctx.deps.queues.enqueueApply({
        requestId: decided.id,
        cluster: decided.cluster,
        // What the approver's card showed; the store checked the record still holds it.
        policyHash: content.policyHash,
      });
    }
    await this.updateApprovalMessage(decided, input);
    log.info({ requestId: decided.id, by: input.user, state: decided.state }, 'request decided');
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
    const liveness = await this.ctx.liveness(record.cluster);
    const message = renderApprovalMessage(record, {
      yaml: this.requestYaml.of(record),
      now: this.ctx.now().toISOString(),
      ...(liveness === undefined ? {} : { liveness }),
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
