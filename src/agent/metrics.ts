/**
 * The agent's Prometheus metrics (prom-client), served on `/metrics` beside the health endpoints
 * (src/platform/metrics-server.ts). One registry per AgentMetrics (src/platform/metrics.ts): a test
 * can run several agents in one process and each scrape shows only its own agent.
 *
 * Two kinds of values. Events the agent sees itself are recorded as they happen: the sync latency
 * (from the oldest informer event a map pass covers to the end of that pass) and reconcile errors.
 * What the kernel counts (packets allowed and dropped per local pod, ring-buffer events lost and
 * suppressed, entries per map) is read from the dataplane on each scrape: every read is awaited
 * first and the values are then set without an await in between, so two concurrent scrapes never
 * mix their readings. A read that fails is logged and its series left out of that scrape; the rest
 * is still served.
 *
 * The agent's informers count their failed lists and watches in `netpol_kube_api_errors_total`
 * (operation `list-watch`), the series the workers serve, so one dashboard panel shows both.
 *
 * Counting the entries of a map lists its keys through the loader helper: the conntrack map can
 * hold many entries, so a scrape costs a walk of it (scrape every 15 s or slower).
 */
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EndpointCounters } from '../adapters/bpf/abi';
import type { KubeApiError } from '../adapters/kube/kube-api-error';
import { KubeApiErrorMetric } from '../adapters/kube/kube-api-error-metric';
import { createMetricsRegistry, readForScrape, type MetricsEndpoint } from '../platform/metrics';
import type { DropEventPublisherStats } from './drop-event-publisher';
import type { FlowReporterStats } from './flow-reporter';

export type MapName = 'ipcache' | 'endpoints' | 'policy' | 'conntrack';
export const MAP_NAMES: readonly MapName[] = ['ipcache', 'endpoints', 'policy', 'conntrack'];

/** What the metrics read of the dataplane on a scrape (BpfDataplane has it). */
export interface DataplaneReadings {
  mapKeys(map: MapName): Promise<string[]>;
  endpointCounters(endpointId: number): Promise<EndpointCounters | null>;
  globalCounters(): Promise<{ eventsLost: bigint; eventsSuppressed: bigint }>;
}

/** A local pod with an endpoint entry (its host veth's ifindex). */
export interface LocalEndpointView {
  readonly namespace: string;
  readonly name: string;
  readonly endpointId: number;
}

export interface AgentMetricsOptions {
  readonly dataplane: DataplaneReadings;
  readonly localEndpoints: () => readonly LocalEndpointView[];
  readonly ready: () => boolean;
  readonly dropEventStats: () => DropEventPublisherStats;
  /** The observed-flow reporter's counts (flow-reporter.ts); its series are left out without it. */
  readonly flowStats?: () => FlowReporterStats;
  /** The `cluster` label of netpol_kube_api_errors_total, as the workers label theirs. */
  readonly cluster?: string;
  readonly log: Logger;
  /**
   * Node.js process metrics (memory, CPU, event loop lag, GC) too. Default true. prom-client's GC
   * observer cannot be stopped: it lives as long as the process (main.ts exits once closed).
   */
  readonly processMetrics?: boolean;
}

/** Seconds; 0.2 is the policy-to-wire p99 target. */
const SYNC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30];

export class AgentMetrics implements MetricsEndpoint {
  readonly registry: Registry;
  readonly contentType: string;
  private readonly log: Logger;
  private readonly syncLatency: Histogram;
  private readonly reconcileErrors: Counter;
  private readonly mapEntries: Gauge<'map'>;
  private readonly allowedPackets: Counter<'namespace' | 'pod'>;
  private readonly droppedPackets: Counter<'namespace' | 'pod'>;
  private readonly eventsLost: Counter;
  private readonly eventsSuppressed: Counter;
  private readonly localPods: Gauge;
  private readonly ready: Gauge;
  private readonly dropEventsPublished: Counter;
  private readonly dropEventsDiscarded: Counter<'reason'>;
  private readonly kubeErrors: KubeApiErrorMetric;
  private readonly flowsWritten: Counter;
  private readonly flowsDiscarded: Counter<'reason'>;
  private readonly wouldDrops: Counter;

  constructor(private readonly options: AgentMetricsOptions) {
    this.log = options.log.child({ component: 'metrics' });
    this.registry = createMetricsRegistry({ processMetrics: options.processMetrics ?? true });
    this.contentType = this.registry.contentType;
    const registers = [this.registry];
    this.syncLatency = new Histogram({
      name: 'netpol_agent_sync_latency_seconds',
      help: 'From the oldest informer event a map pass covers to the maps written',
      buckets: SYNC_BUCKETS,
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'netpol_agent_reconcile_errors_total',
      help: 'Map passes that failed (retried whole after a backoff)',
      registers,
    });
    this.mapEntries = new Gauge({
      name: 'netpol_agent_map_entries',
      help: 'Entries in each pinned eBPF map (policy: the per-endpoint rule sets)',
      labelNames: ['map'],
      registers,
    });
    this.allowedPackets = new Counter({
      name: 'netpol_agent_packets_allowed_total',
      help: "Packets allowed by the local pod's programs, both directions",
      labelNames: ['namespace', 'pod'],
      registers,
    });
    this.droppedPackets = new Counter({
      name: 'netpol_agent_packets_dropped_total',
      help: "Packets dropped by the local pod's programs, both directions",
      labelNames: ['namespace', 'pod'],
      registers,
    });
    this.eventsLost = new Counter({
      name: 'netpol_agent_events_lost_total',
      help: 'Drop and flow events the kernel could not write to the full ring buffer',
      registers,
    });
    this.eventsSuppressed = new Counter({
      name: 'netpol_agent_events_suppressed_total',
      help: "Drop events not written because of the kernel's per-flow rate limit",
      registers,
    });
    this.localPods = new Gauge({
      name: 'netpol_agent_local_pods_attached',
      help: "Local pods whose host veth carries the agent's programs",
      registers,
    });
    this.ready = new Gauge({
      name: 'netpol_agent_ready',
      help: '1 when the maps hold what the engine computed for the current cluster state (/readyz)',
      registers,
    });
    this.dropEventsPublished = new Counter({
      name: 'netpol_agent_drop_events_published_total',
      help: 'Drop events written to the Redis stream',
      registers,
    });
    this.dropEventsDiscarded = new Counter({
      name: 'netpol_agent_drop_events_discarded_total',
      help: 'Drop events never written to the Redis stream (buffer_full: Redis too slow; redis_error: a batch failed)',
      labelNames: ['reason'],
      registers,
    });
    this.kubeErrors = new KubeApiErrorMetric(registers, options.cluster ?? '');
    this.flowsWritten = new Counter({
      name: 'netpol_agent_flows_written_total',
      help: 'Observed flows written to the flow store (one per distinct flow per interval)',
      registers: options.flowStats ? registers : [],
    });
    this.flowsDiscarded = new Counter({
      name: 'netpol_agent_flows_discarded_total',
      help: 'Observed-flow events not kept (overflow: more distinct flows than NETPOL_FLOW_MAX_KEYS in an interval) and flows lost (redis_error: a write failed)',
      labelNames: ['reason'],
      registers: options.flowStats ? registers : [],
    });
    this.wouldDrops = new Counter({
      name: 'netpol_agent_would_drops_total',
      help: 'Audit mode (netpol.io/audit): new flows passed that the rules of the audit-mode policies isolating the pod would have dropped (never dropped, never drop alerts)',
      registers: options.flowStats ? registers : [],
    });
  }

  /** An informer's failed list or watch of the cluster's objects (Informer's onApiError). */
  readonly informerError = (failure: KubeApiError): void => this.kubeErrors.informerError(failure);

  /** A map pass finished `seconds` after the oldest event it covers. */
  observeSync(seconds: number): void {
    this.syncLatency.observe(seconds);
  }

  countReconcileError(): void {
    this.reconcileErrors.inc();
  }

  /** Reads the dataplane and renders every metric (Prometheus text format). */
  async render(): Promise<string> {
    await this.refresh();
    return this.registry.metrics();
  }

  private async refresh(): Promise<void> {
    const endpoints = this.options.localEndpoints();
    const [maps, perPod, global] = await Promise.all([
      this.read('map entries', () =>
        Promise.all(
          MAP_NAMES.map(async (map) => [map, (await this.options.dataplane.mapKeys(map)).length] as const),
        ),
      ),
      this.read('endpoint counters', () =>
        Promise.all(
          endpoints.map((endpoint) => this.options.dataplane.endpointCounters(endpoint.endpointId)),
        ),
      ),
      this.read('global counters', () => this.options.dataplane.globalCounters()),
    ]);

    // No await from here on: a concurrent scrape sees either these values or its own.
    this.mapEntries.reset();
    for (const [map, entries] of maps ?? []) this.mapEntries.set({ map }, entries);
    this.allowedPackets.reset();
    this.droppedPackets.reset();
    endpoints.forEach((endpoint, i) => {
      const counters = perPod?.[i];
      if (counters === undefined || counters === null) return;
      const labels = { namespace: endpoint.namespace, pod: endpoint.name };
      this.allowedPackets.inc(labels, Number(counters.allowedPackets));
      this.droppedPackets.inc(labels, Number(counters.droppedPackets));
    });
    this.eventsLost.reset();
    this.eventsSuppressed.reset();
    if (global !== undefined) {
      this.eventsLost.inc(Number(global.eventsLost));
      this.eventsSuppressed.inc(Number(global.eventsSuppressed));
    }
    this.localPods.set(endpoints.length);
    this.ready.set(this.options.ready() ? 1 : 0);
    const stats = this.options.dropEventStats();
    this.dropEventsPublished.reset();
    this.dropEventsPublished.inc(stats.published);
    this.dropEventsDiscarded.reset();
    this.dropEventsDiscarded.inc({ reason: 'buffer_full' }, stats.discarded);
    this.dropEventsDiscarded.inc({ reason: 'redis_error' }, stats.failed);
    const flows = this.options.flowStats?.();
    if (flows !== undefined) {
      this.flowsWritten.reset();
      this.flowsWritten.inc(flows.written);
      this.flowsDiscarded.reset();
      this.flowsDiscarded.inc({ reason: 'overflow' }, flows.overflow);
      this.flowsDiscarded.inc({ reason: 'redis_error' }, flows.failed);
      this.wouldDrops.reset();
      this.wouldDrops.inc(flows.wouldDrops);
    }
  }

  private read<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
    return readForScrape(this.log, `dataplane ${what}`, run);
  }
}
