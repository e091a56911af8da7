/**
 * Writes the agent's aggregated flows (flow-aggregator.ts) to the flow store every interval. A
 * failed write is counted and logged once per failure streak, never retried into a growing queue:
 * the next interval's counts start afresh. close() writes what is held, once.
 *
 * Would-drop events (audit mode, issue 10) come only here, never to the drop stream (no drop alert
 * fires for what was not dropped): each is logged at debug and counted (`wouldDrops`,
 * netpol_agent_would_drops_total), and aggregated as a 'would-block' flow.
 *
 * Every flow written names this agent's node (`nodes`): the store keeps the union over agents, which
 * the audit report shows as the nodes its would-be drops were seen on, as drop alerts do.
 */
import type { Logger } from 'pino';
import type { DataplaneEvent } from '../adapters/bpf/abi';
import type { ObservedFlow } from '../contracts/observed-flows';
import { FlowAggregator, type FlowPods } from './flow-aggregator';

export interface FlowReporterOptions {
  cluster: string;
  /** This agent's node name (NODE_NAME), set on every flow it writes. */
  node: string;
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
  /** Would-drop events (audit mode), the kernel's rate-limited repeats included. */
  wouldDrops: number;
}

export class FlowReporter {
  private readonly aggregator: FlowAggregator;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private failing = false;
  private readonly counts: FlowReporterStats = { written: 0, overflow: 0, failed: 0, wouldDrops: 0 };

  constructor(private readonly options: FlowReporterOptions) {
    this.aggregator = new FlowAggregator(options.maxKeys);
  }

  add(event: DataplaneEvent, pods: FlowPods): void {
    if (event.kind === 'would-drop') this.wouldDrop(event, pods);
    this.aggregator.add(event, pods, this.options.clock());
  }

  private wouldDrop(event: DataplaneEvent, pods: FlowPods): void {
    this.counts.wouldDrops +=
      1 + (Number.isInteger(event.suppressed) && event.suppressed > 0 ? event.suppressed : 0);
    const log = this.options.log;
    if (!log.isLevelEnabled('debug')) return;
    const pod = pods.podOfEndpoint(event.endpointId);
    const peerAddress = event.direction === 'ingress' ? event.source : event.destination;
    const peer = pods.podOf(peerAddress);
    log.debug(
      {
        pod: pod && `${pod.namespace}/${pod.name}`,
        peer: peer ? `${peer.namespace}/${peer.name}` : peerAddress,
        direction: event.direction,
        protocol: event.protocol,
        port: event.destinationPort,
        reason: event.reason,
        auditPolicies: pods.auditPoliciesOf?.(event.endpointId, event.direction),
      },
      'packet would be dropped (audit mode)',
    );
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
    const { flows: drained, overflow } = this.aggregator.drain();
    this.counts.overflow += overflow;
    if (overflow > 0) this.options.log.warn({ overflow }, 'observed flows over the bound: not kept');
    if (drained.length === 0) return;
    const flows = drained.map((flow) => ({ ...flow, nodes: [this.options.node] }));
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
