/**
 * Publishes drop events to the cluster's Redis Stream (XADD ... MAXLEN ~ N), in batches, from a
 * bounded buffer: under a drop storm (or with Redis down) the buffer holds at most `capacity`
 * events and counts what it had to discard, so memory stays bounded and the dataplane's reader is
 * never blocked. One batch in flight at a time (a pipeline); a failed batch is counted as lost
 * and logged once per failure streak, never retried into an ever-growing queue.
 *
 * Lifecycle: publish() from the event reader; close() waits for the batch in flight and leaves
 * the Redis connection to its owner.
 */
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { dropEventFields, type DropEvent } from '../contracts/drop-events';

export interface DropEventPublisherOptions {
  readonly redis: Pick<Redis, 'pipeline'>;
  readonly streamKey: string;
  readonly maxLen: number;
  readonly log: Logger;
  /** Events held while Redis is slow or away. Default 1000. */
  readonly capacity?: number;
  /** Events a pipeline carries. Default 100. */
  readonly batchSize?: number;
}

export interface DropEventPublisherStats {
  published: number;
  /** Discarded because the buffer was full. */
  discarded: number;
  /** Lost because Redis refused or failed a batch. */
  failed: number;
  buffered: number;
}

export class DropEventPublisher {
  private readonly buffer: DropEvent[] = [];
  private readonly capacity: number;
  private readonly batchSize: number;
  private inFlight: Promise<void> | undefined;
  private failing = false;
  private closed = false;
  private readonly counts = { published: 0, discarded: 0, failed: 0 };

  constructor(private readonly options: DropEventPublisherOptions) {
    this.capacity = options.capacity ?? 1000;
    this.batchSize = options.batchSize ?? 100;
  }

  publish(event: DropEvent): void {
    if (this.closed) return;
    if (this.buffer.length >= this.capacity) {
      this.counts.discarded++;
      return;
    }
    this.buffer.push(event);
    this.inFlight ??= this.drain();
  }

  stats(): DropEventPublisherStats {
    return { ...this.counts, buffered: this.buffer.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.inFlight;
  }

  private lost(count: number, err: unknown): void {
    this.counts.failed += count;
    if (!this.failing) this.options.log.warn({ err, count }, 'drop events not published');
    this.failing = true;
  }

  private async drain(): Promise<void> {
    try {
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.batchSize);
        const pipeline = this.options.redis.pipeline();
        for (const event of batch) {
          pipeline.xadd(
            this.options.streamKey,
            'MAXLEN',
            '~',
            String(this.options.maxLen),
            '*',
            ...dropEventFields(event),
          );
        }
        let results: [Error | null, unknown][];
        try {
          results = (await pipeline.exec()) ?? [];
        } catch (err) {
          this.lost(batch.length, err);
          continue;
        }
        const errors = results.filter(([err]) => err !== null);
        this.counts.published += batch.length - errors.length;
        if (errors.length > 0) this.lost(errors.length, errors[0]![0]);
        else this.failing = false;
      }
    } finally {
      this.inFlight = undefined;
    }
  }
}
