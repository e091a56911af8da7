/** The bot's side of the queue contract: apply jobs per cluster, and each request's expiry. */
import { Queue, type ConnectionOptions } from 'bullmq';
import {
  applyJobOptions,
  applyQueueName,
  EXPIRY_QUEUE,
  expiryJobOptions,
  type ApplyJob,
  type ExpiryJob,
} from '../contracts/queues';
import type { BotQueues } from './bot-deps';

export class BullBotQueues implements BotQueues {
  private readonly applyQueues = new Map<string, Queue<ApplyJob>>();
  private readonly expiryQueue: Queue<ExpiryJob>;

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
  ) {
    this.expiryQueue = new Queue<ExpiryJob>(EXPIRY_QUEUE, { connection, prefix });
  }

  private applyQueue(cluster: string): Queue<ApplyJob> {
    let queue = this.applyQueues.get(cluster);
    if (queue === undefined) {
      queue = new Queue<ApplyJob>(applyQueueName(cluster), {
        connection: this.connection,
        prefix: this.prefix,
      });
      this.applyQueues.set(cluster, queue);
    }
    return queue;
  }

  async enqueueApply(job: ApplyJob): Promise<void> {
    await this.applyQueue(job.cluster).add('apply', job, applyJobOptions(job.requestId));
  }

  async scheduleExpiry(requestId: string, delayMs: number): Promise<void> {
    await this.expiryQueue.add('expire', { requestId }, expiryJobOptions(requestId, delayMs));
  }

  async close(): Promise<void> {
    await Promise.all([this.expiryQueue.close(), ...[...this.applyQueues.values()].map((q) => q.close())]);
  }
}
