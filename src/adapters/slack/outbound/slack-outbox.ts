/**
 * The producer side of the one outbound path to Slack: anything netpol wants posted (by the bot, or
 * by a worker that holds no Slack token) is added to SLACK_OUTBOUND_QUEUE here and delivered by the
 * bot's outbound worker (slack-outbound-worker.ts).
 *
 * Lifecycle: one SlackOutbox per process, `close()` on shutdown (a connection passed in as an ioredis
 * instance is left open for its owner). `send` resolves once the job is in Redis: from then on it
 * survives restarts of this process, of the bot and of Redis (with persistence).
 *
 * Idempotency: with a `jobId` derived from what the message is about (e.g. `applied-<requestId>`),
 * sending twice is a no-op while the first job is queued, retrying, or kept as completed (up to an
 * hour, at most 1,000 jobs). BullMQ refuses ids that are integers or contain ':'.
 */
import { ConnectionOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { RETRY_POLICY, SLACK_OUTBOUND_QUEUE, SlackOutboundJob } from '../../../contracts/queues';

export interface SlackOutboxOptions {
  /** ioredis options or instance (shared instances are not closed by `close`). */
  connection: ConnectionOptions;
  /** BullMQ key prefix; the same for producers and the worker. */
  prefix?: string;
  /** Where Redis connection errors are reported; without it they are ignored (send still rejects). */
  log?: Logger;
}

export interface SendOptions {
  /** An idempotent id: a second send with the same id is ignored. */
  jobId?: string;
}

/** How long finished jobs stay in Redis: bounded, yet long enough to dedupe and to inspect failures. */
export const OUTBOUND_JOB_RETENTION = Object.freeze({
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
});

export class SlackOutbox {
  private readonly queue: Queue<SlackOutboundJob, void, SlackOutboundJob['kind']>;

  constructor(options: SlackOutboxOptions) {
    this.queue = new Queue(SLACK_OUTBOUND_QUEUE, {
      connection: options.connection,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      defaultJobOptions: {
        attempts: RETRY_POLICY.attempts,
        backoff: { ...RETRY_POLICY.backoff },
        ...OUTBOUND_JOB_RETENTION,
      },
    });
    const log = options.log?.child({ component: 'slack-outbox' });
    // An EventEmitter 'error' without a listener would crash the process.
    this.queue.on('error', (err: Error) => log?.warn({ error: err.message }, 'slack outbox redis error'));
  }

  async send(job: SlackOutboundJob, options: SendOptions = {}): Promise<void> {
    await this.queue.add(job.kind, job, options.jobId !== undefined ? { jobId: options.jobId } : {});
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
