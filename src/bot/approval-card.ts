/**
 * Keeps a request's approval card in step with the request, whatever order the outbound messages are
 * delivered in. Level-based (STYLE.md: reconcile to the current state): nothing here trusts the state
 * a message was rendered from when it was enqueued; the card is rendered from the request's current
 * record, at the two moments that can otherwise leave it behind:
 *
 * - `currentCard`, when the outbound worker sends an `update` job with `cardFor` (every card edit:
 *   decisions, expiry, the workers' outcome): an older update delivered after a newer one renders
 *   the newer state too, so the last edit a card receives shows the latest state. While the request
 *   is still pending the job is sent as its producer rendered it (that is the current state).
 * - `onPosted`, right after the card's channel and ts are recorded on the request: a state change
 *   made before that could not address the card (its update was skipped, or went nowhere), so if the
 *   request is no longer pending, the card is edited to its current state.
 *
 * Why that converges: every state change is stored atomically and returns the record, and the card's
 * ts is stored atomically too. A change stored after the ts sees it and enqueues its own update (which
 * renders at delivery, so at least that state); a change stored before it is seen by `onPosted`'s read,
 * which follows the ts write. The outbound worker sends one job at a time, so the last edit renders
 * last.
 *
 * Runs in the bot process only (the outbound worker's hooks); the policy workers still render their
 * update's content, which is then the fallback for a request that is gone.
 */
import type { SlackOutboundJob } from '../contracts/queues';
import type { RequestRecord } from '../contracts/request-record';
import { processRequestYaml, type RequestYaml } from '../contracts/request-yaml';
import type { RequestStoreApi } from '../adapters/redis/request-store-api';
import { renderApprovalMessage, type SlackMessage } from '../adapters/slack/render';
import type { CurrentCard, SlackDelivered } from '../adapters/slack/outbound';
import type { ClusterLiveness } from '../contracts/heartbeat';
import type { LivenessOf } from './status-liveness';

/**
 * The approval card of `record` as it reads at `now` (what approvals.ts renders at each change): its
 * stored YAML once verified, else the policies rendered again (contracts/request-yaml.ts).
 */
export function renderApprovalCard(
  record: RequestRecord,
  now: Date,
  requestYaml: RequestYaml = processRequestYaml,
  liveness?: ClusterLiveness,
): SlackMessage {
  return renderApprovalMessage(record, {
    yaml: requestYaml.of(record),
    now: now.toISOString(),
    ...(liveness === undefined ? {} : { liveness }),
  });
}

export interface ApprovalCardSyncDeps {
  store: Pick<RequestStoreApi, 'get' | 'setApprovalMessage'>;
  outbox: { send(job: SlackOutboundJob, options?: { jobId?: string }): Promise<void> };
  clock: () => Date;
  /** Default: this process's (processRequestYaml), shared with the bot's handlers. */
  requestYaml?: RequestYaml;
  /** The cluster's worker liveness, for the card's notes (status-liveness.ts); none without it. */
  liveness?: LivenessOf;
}

export interface ApprovalCardSync {
  /** For the outbound worker's `currentCard`: the card as it reads now, once its ts is known. */
  currentCard(requestId: string): Promise<CurrentCard | undefined>;
  /** For the outbound worker's `onPosted`: records a posted card and catches it up if needed. */
  onPosted(job: SlackOutboundJob, delivered: SlackDelivered): Promise<void>;
}

export function approvalCardSync(deps: ApprovalCardSyncDeps): ApprovalCardSync {
  // A card is still worth showing when its notes cannot be read: Redis trouble is the store's to report.
  const livenessOf = async (cluster: string): Promise<ClusterLiveness | undefined> =>
    deps.liveness === undefined ? undefined : deps.liveness(cluster).catch(() => undefined);

  const currentCard = async (requestId: string): Promise<CurrentCard | undefined> => {
    const record = await deps.store.get(requestId);
    if (record?.approvalChannel === undefined || record.approvalTs === undefined) return undefined;
    // Still pending: the job's own rendering is of this very state, and its producer knows what the
    // record does not (e.g. whether the full YAML is in the thread yet, which gates the buttons).
    if (record.state === 'pending-approval') return undefined;
    const card = renderApprovalCard(record, deps.clock(), deps.requestYaml, await livenessOf(record.cluster));
    return { channel: record.approvalChannel, ts: record.approvalTs, text: card.text, blocks: card.blocks };
  };

  return {
    currentCard,
    async onPosted(job, delivered) {
      if (job.kind !== 'post' || job.recordApprovalFor === undefined) return;
      const requestId = job.recordApprovalFor;
      await deps.store.setApprovalMessage(requestId, delivered.channel, delivered.ts);
      // Read after the write: a change stored before it is seen here (see the header).
      const record = await deps.store.get(requestId);
      if (record === undefined || record.state === 'pending-approval') return;
      const card = renderApprovalCard(
        record,
        deps.clock(),
        deps.requestYaml,
        await livenessOf(record.cluster),
      );
      // Idempotent: a retried hook enqueues nothing new (the update renders at delivery anyway).
      await deps.outbox.send(
        {
          kind: 'update',
          channel: delivered.channel,
          ts: delivered.ts,
          text: card.text,
          blocks: card.blocks,
          cardFor: requestId,
        },
        { jobId: `card-caught-up-${requestId}` },
      );
    },
  };
}
