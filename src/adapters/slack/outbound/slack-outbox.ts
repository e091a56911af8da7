/**
 * The one handle on SLACK_OUTBOUND_QUEUE: anything netpol wants posted (by the bot, or by a policy
 * worker that holds no Slack token) is added here, with the contract's job options
 * (SLACK_OUTBOUND_JOB_OPTIONS), and delivered by the bot's outbound worker
 * (slack-outbound-worker.ts), which also pauses the queue through `rateLimit` on a 429.
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
import {
  SLACK_OUTBOUND_JOB_OPTIONS,
  SLACK_OUTBOUND_QUEUE,
  SlackOutboundJob,
} from '../../../contracts/queues';

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

export class SlackOutbox {
  private readonly queue: Queue<SlackOutboundJob, void, SlackOutboundJob['kind']>;

  constructor(options: SlackOutboxOptions) {
    this.queue = new Queue(SLACK_OUTBOUND_QUEUE, {
      connection: options.connection,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      defaultJobOptions: SLACK_OUTBOUND_JOB_OPTIONS,
    });
    const log = options.log?.child({ component: 'slack-outbox' });
    // An EventEmitter 'error' without a listener would crash the process.
    this.queue.on('error', (err: Error) => log?.warn({ err }, 'slack outbox redis error'));
  }

  async send(job: SlackOutboundJob, options: SendOptions = {}): Promise<void> {
    await this.queue.add(job.kind, job, options.jobId !== undefined ? { jobId: options.jobId } : {});
  }

  /**
   * Holds back every job of the queue for `ms`, for every worker: what the outbound worker does when
   * Slack answers 429. The job in hand must then throw `Worker.RateLimitError()`.
   */
  async rateLimit(ms: number): Promise<void> {
    await this.queue.rateLimit(ms);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
