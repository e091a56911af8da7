/**
 * Publishes drop events to the cluster's Redis Stream (XADD ... MAXLEN ~ N), in batches, from a
 * bounded buffer: under a drop storm (or with Redis down) the buffer holds at most `capacity`
 * events and counts what it had to discard, so memory stays bounded and the dataplane's reader is
 * never blocked. One batch in flight at a time (a pipeline); a failed batch is counted as lost
 * and logged once per failure streak, never retried into an ever-growing queue.
 *
 * Two levers for a storm, off in this class's defaults and on in the agent's (run-agent.ts; readers
 * must take both kinds of entry, `parseDropEventEntry`, so workers are upgraded before agents):
 * `eventsPerEntry` > 1 writes up to that many events as one entry
 * (the contract's optional `events` field: one XADD, one entry of the MAXLEN cap and one XACK for
 * many drops), and `coalesce` folds the events of one batch that differ only in their source port
 * and instant within the same second into one event whose `suppressed` counts the others (as the
 * kernel's own rate limit does). The interval they are folded over is the time the previous batch
 * took to reach Redis: nothing waits for more events to come.
 *
 * Lifecycle: publish() from the event reader; close() waits for the batch in flight and leaves
 * the Redis connection to its owner.
 */
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { dropEventBatchFields, dropEventFields, type DropEvent } from '../contracts/drop-events';

export interface DropEventPublisherOptions {
  readonly redis: Pick<Redis, 'pipeline'>;
  readonly streamKey: string;
  readonly maxLen: number;
  readonly log: Logger;
  /** Events held while Redis is slow or away. Default 1000. */
  readonly capacity?: number;
  /** Events a pipeline carries. Default 100. */
  readonly batchSize?: number;
  /** Events one stream entry carries (`events` field when > 1). Default 1. */
  readonly eventsPerEntry?: number;
  /** Fold a batch's events of one flow and second into one (see above). Default false. */
  readonly coalesce?: boolean;
}

/** What makes two events of one batch one flow: everything but the source port, instant and count. */
function flowKey(event: DropEvent): string {
  const { pod, peer } = event;
  return [
    event.at.slice(0, 19),
    event.direction,
    pod === null ? '' : `${pod.namespace}/${pod.name}`,
    peer === null ? '' : `${peer.namespace}/${peer.name}`,
    event.source,
    event.destination,
    event.destinationPort,
    event.protocol,
    event.reason,
  ].join('|');
}

/**
 * The batch with each flow's events folded into its first (suppressed counts the rest), each with
 * how many of the batch's events it stands for.
 */
export function coalesceDropEvents(events: readonly DropEvent[]): { event: DropEvent; events: number }[] {
  const byFlow = new Map<string, { event: DropEvent; events: number }>();
  for (const event of events) {
    const key = flowKey(event);
    const first = byFlow.get(key);
    if (first === undefined) byFlow.set(key, { event: { ...event }, events: 1 });
    else {
      first.event.suppressed += 1 + event.suppressed;
      first.events++;
    }
  }
  return [...byFlow.values()];
}

export interface DropEventPublisherStats {
  published: number;
  /** Discarded because the buffer was full. */
  discarded: number;
  /** Lost because Redis refused or failed a batch. */
  failed: number;
  buffered: number;
  /** Stream entries written (fewer than events when entries carry several, or with coalescing). */
  entries?: number;
}

export class DropEventPublisher {
  private readonly buffer: DropEvent[] = [];
  private readonly capacity: number;
  private readonly batchSize: number;
  private readonly eventsPerEntry: number;
  private inFlight: Promise<void> | undefined;
  private failing = false;
  private closed = false;
  private readonly counts = { published: 0, discarded: 0, failed: 0, entries: 0 };

  constructor(private readonly options: DropEventPublisherOptions) {
    this.capacity = options.capacity ?? 1000;
    this.batchSize = options.batchSize ?? 100;
    this.eventsPerEntry = Math.max(1, options.eventsPerEntry ?? 1);
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

  /** Resolves once the buffer is empty and nothing is in flight (a producer's back-pressure). */
  async drained(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight;
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
        const folded =
          this.options.coalesce === true
            ? coalesceDropEvents(batch)
            : batch.map((event) => ({ event, events: 1 }));
        // Each entry with the number of the buffer's events it stands for: what is lost if it fails.
        const entries: { fields: [string, string]; events: number }[] = [];
        for (let i = 0; i < folded.length; i += this.eventsPerEntry) {
          const chunk = folded.slice(i, i + this.eventsPerEntry);
          entries.push({
            fields:
              chunk.length === 1
                ? dropEventFields(chunk[0]!.event)
                : dropEventBatchFields(chunk.map((c) => c.event)),
            events: chunk.reduce((sum, c) => sum + c.events, 0),
          });
        }
        const pipeline = this.options.redis.pipeline();
        for (const entry of entries)
          pipeline.xadd(
            this.options.streamKey,
            'MAXLEN',
            '~',
            String(this.options.maxLen),
            '*',
            ...entry.fields,
          );
        let results: [Error | null, unknown][];
        try {
          results = (await pipeline.exec()) ?? [];
        } catch (err) {
          this.lost(batch.length, err);
          continue;
        }
        let failed = 0;
        let firstError: Error | null = null;
        results.forEach(([err], i) => {
          if (err === null) {
            this.counts.entries++;
            return;
          }
          failed += entries[i]!.events;
          firstError ??= err;
        });
        this.counts.published += batch.length - failed;
        if (firstError !== null) this.lost(failed, firstError);
        else this.failing = false;
      }
    } finally {
      this.inFlight = undefined;
    }
  }
}
