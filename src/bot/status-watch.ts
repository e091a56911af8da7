/**
 * Keeps the approval cards of approved requests honest about a silent worker (issue 11): every
 * `intervalMs` it reads each configured cluster's liveness, and for each request of that cluster
 * approved (or applying) but not done, enqueues an edit of its card while the worker is silent
 * ("waiting for the prod worker, last seen 4 min ago", at most once a minute per card: the age moves
 * by minutes), and once more when a worker is back, to take the note away. The edit is an `update`
 * with `cardFor`, so the card is rendered from the request's current record at delivery
 * (approval-card.ts): an edit never shows a state older than the request's.
 *
 * Runs in the bot process; one pass at a time; a failed pass (Redis down) is logged and retried at
 * the next tick. State (which cards carry the note) is in memory: after a restart, the next pass
 * edits the cards of a still-silent cluster again, which is harmless.
 */
import type { Logger } from 'pino';
import type { SlackOutboundJob } from '../contracts/queues';
import type { RequestStoreApi } from '../adapters/redis/request-store-api';
import type { LivenessOf } from './status-liveness';

export interface WaitingCardWatchOptions {
  clusters: readonly string[];
  store: Pick<RequestStoreApi, 'listByState'>;
  outbox: { send(job: SlackOutboundJob, options?: { jobId?: string }): Promise<void> };
  liveness: LivenessOf;
  clock: () => Date;
  intervalMs: number;
  log: Logger;
}

export interface WaitingCardWatch {
  /** One pass now (tests; the timer calls it too). */
  check(): Promise<void>;
  stop(): Promise<void>;
}

const MINUTE_MS = 60_000;

export function startWaitingCardWatch(options: WaitingCardWatchOptions): WaitingCardWatch {
  /** Per cluster, the request ids whose card was edited to say its worker is silent. */
  const notedBy = new Map<string, Set<string>>();
  let running: Promise<void> | undefined;

  const edit = async (
    record: { id: string; approvalChannel?: string; approvalTs?: string },
    jobId: string,
  ) => {
    if (record.approvalChannel === undefined || record.approvalTs === undefined) return;
    await options.outbox.send(
      {
        kind: 'update',
        channel: record.approvalChannel,
        ts: record.approvalTs,
        // Rendered from the current record at delivery (cardFor); this text is only the fallback.
        text: `Request ${record.id}: waiting for its cluster's worker`,
        blocks: [],
        cardFor: record.id,
      },
      { jobId },
    );
  };

  const pass = async (): Promise<void> => {
    const minute = Math.floor(options.clock().getTime() / MINUTE_MS);
    for (const cluster of options.clusters) {
      let noted = notedBy.get(cluster);
      if (noted === undefined) notedBy.set(cluster, (noted = new Set()));
      const liveness = await options.liveness(cluster);
      const waiting = await options.store.listByState(['approved', 'applying'], { cluster, limit: 200 });
      for (const record of waiting) {
        if (!liveness.workerAlive) {
          await edit(record, `card-waiting-${record.id}-${minute}`);
          noted.add(record.id);
        } else if (noted.delete(record.id)) {
          await edit(record, `card-worker-back-${record.id}-${minute}`);
        }
      }
      if (liveness.workerAlive) {
        // Requests done meanwhile had their card edited by their own outcome.
        const still = new Set(waiting.map((r) => r.id));
        for (const id of noted) if (!still.has(id)) noted.delete(id);
      }
    }
  };

  const check = (): Promise<void> => {
    running ??= pass()
      .catch((err: unknown) => options.log.warn({ err }, 'waiting-card watch pass failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = setInterval(() => void check(), options.intervalMs);
  timer.unref();
  return {
    check,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
