/**
 * Publishes one component's heartbeat every `intervalMs` (contracts/heartbeat.ts) from a sample the
 * component gives (in sync or not, why, its queue depth); keeps `since` and `lastSync` itself. The
 * first beat is published at start, so a component is listed as soon as it runs; `stop()` publishes a
 * last beat with `stoppedAt`, so a component stopped on purpose reads as stopped, not as lost.
 *
 * A failed publish (Redis down) is logged at debug and retried at the next beat: a heartbeat must
 * never take its component down. One beat at a time: a slow Redis delays the next, never doubles it.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_VERSION,
  type Heartbeat,
  type HeartbeatKind,
} from '../../contracts/heartbeat';
import type { HeartbeatStore } from './heartbeat-store';

export interface HeartbeatSample {
  inSync: boolean;
  reason?: string;
  queueDepth: number;
}

export interface HeartbeatPublisherOptions {
  store: Pick<HeartbeatStore, 'publish'>;
  kind: HeartbeatKind;
  cluster: string;
  /** Default: `host:pid`. */
  id?: string;
  /** Default: the host name. */
  node?: string;
  version: string;
  intervalMs?: number;
  clock?: () => Date;
  log: Logger;
  sample: () => HeartbeatSample | Promise<HeartbeatSample>;
}

export class HeartbeatPublisher {
  private readonly intervalMs: number;
  private readonly clock: () => Date;
  private readonly id: string;
  private readonly node: string;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private state: { inSync: boolean; since: string } | undefined;
  private lastSync: string | undefined;
  private stopped = false;

  constructor(private readonly options: HeartbeatPublisherOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.clock = options.clock ?? (() => new Date());
    this.node = options.node ?? hostname();
    this.id = options.id ?? `${this.node}:${process.pid}`;
  }

  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /** Publishes now (unless a beat is in flight); resolves when done. */
  beat(final = false): Promise<void> {
    if (this.beating !== undefined) return this.beating;
    this.beating = this.publish(final).finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  /** Stops beating without a last beat: the component will read as silent, as a crashed one does. */
  abandon(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.beating;
    await this.beat(true);
  }

  private async publish(final: boolean): Promise<void> {
    try {
      const sample = await this.options.sample();
      const at = this.clock().toISOString();
      if (this.state?.inSync !== sample.inSync) this.state = { inSync: sample.inSync, since: at };
      if (sample.inSync) this.lastSync = at;
      const beat: Heartbeat = {
        v: HEARTBEAT_VERSION,
        kind: this.options.kind,
        id: this.id,
        version: this.options.version,
        cluster: this.options.cluster,
        node: this.node,
        at,
        intervalMs: this.intervalMs,
        inSync: sample.inSync,
        since: this.state.since,
        ...(this.lastSync === undefined ? {} : { lastSync: this.lastSync }),
        ...(sample.reason === undefined || sample.inSync ? {} : { reason: sample.reason }),
        queueDepth: sample.queueDepth,
        ...(final ? { stoppedAt: at } : {}),
      };
      await this.options.store.publish(beat);
    } catch (err) {
      this.options.log.debug({ err }, 'heartbeat not published');
    }
  }
}
