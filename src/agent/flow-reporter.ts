/**
 * Writes the agent's aggregated flows (flow-aggregator.ts) to the flow store every interval. A
 * failed write is counted and logged once per failure streak, never retried into a growing queue:
 * the next interval's counts start afresh. close() writes what is held, once.
 */
import type { Logger } from 'pino';
import type { DataplaneEvent } from '../adapters/bpf/abi';
import type { ObservedFlow } from '../contracts/observed-flows';
import { FlowAggregator, type FlowPods } from './flow-aggregator';

export interface FlowReporterOptions {
  cluster: string;
  store: { record(cluster: string, flows: readonly ObservedFlow[], now: Date): Promise<unknown> };
  intervalMs: number;
  maxKeys: number;
  clock: () => Date;
  log: Logger;
}

export interface FlowReporterStats {
  /** Flows written (one per distinct flow per interval). */
  written: number;
  /** Events not kept: more distinct flows than maxKeys in an interval. */
  overflow: number;
  /** Flows lost because Redis failed a write. */
  failed: number;
}

export class FlowReporter {
  private readonly aggregator: FlowAggregator;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private failing = false;
  private readonly counts: FlowReporterStats = { written: 0, overflow: 0, failed: 0 };

  constructor(private readonly options: FlowReporterOptions) {
    this.aggregator = new FlowAggregator(options.maxKeys);
  }

  add(event: DataplaneEvent, pods: FlowPods): void {
    this.aggregator.add(event, pods, this.options.clock());
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  stats(): FlowReporterStats {
    return { ...this.counts };
  }

  /** Writes what the interval holds (after the write in flight, if any). */
  async flush(): Promise<void> {
    await this.writing;
    const { flows, overflow } = this.aggregator.drain();
    this.counts.overflow += overflow;
    if (overflow > 0) this.options.log.warn({ overflow }, 'observed flows over the bound: not kept');
    if (flows.length === 0) return;
    this.writing = this.options.store
      .record(this.options.cluster, flows, this.options.clock())
      .then(() => {
        this.counts.written += flows.length;
        this.failing = false;
      })
      .catch((err: unknown) => {
        this.counts.failed += flows.length;
        if (!this.failing) this.options.log.warn({ err, flows: flows.length }, 'observed flows not written');
        this.failing = true;
      })
      .finally(() => {
        this.writing = undefined;
      });
    await this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
