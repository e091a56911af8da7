/**
 * A cluster's worker's Prometheus metrics, served on its own port (config.metrics;
 * src/platform/metrics-server.ts). Every series carries the worker's cluster.
 *
 * - `netpol_request_approval_to_applied_seconds{cluster}` (histogram): from the approval (the
 *   record's decidedAt) to the policies applied (appliedAt), observed when this worker stores
 *   `applied`. Both times come from the clocks of the processes that wrote them.
 * - `netpol_request_transitions_total{cluster,to}`: state changes this worker stored (applying,
 *   applied, failed; re-entering `applying` after a stall counts again).
 * - `netpol_kube_api_errors_total{cluster,operation,code,status}`: failed Kubernetes API calls of
 *   the apply path (get, apply, delete) and of the cluster sync's informers (list-watch) by
 *   catalogue code and HTTP status (0: no response). A get that finds nothing (404) is an answer,
 *   not an error; neither is an optional kind the API does not serve.
 * - `netpol_queue_jobs{queue,state}`: this cluster's apply queue (src/platform/metrics.ts).
 *
 * The store and the Kubernetes API are observed by wrapping them (observeStore, observePolicies),
 * so the apply processor counts nothing itself.
 */
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { toKubeApiError, type KubeApiError } from '../adapters/kube/kube-api-error';
import { KubeApiErrorMetric } from '../adapters/kube/kube-api-error-metric';
import type { PolicyApi } from '../adapters/kube/kube-client';
import type { RequestStoreApi } from '../adapters/redis/request-store-api';
import type { RequestRecord } from '../contracts/request-record';
import {
  createMetricsRegistry,
  metricsEndpoint,
  registerQueueDepths,
  type MetricsEndpoint,
  type QueueDepthSource,
} from '../platform/metrics';

/** Seconds: an approval applied within a second when the worker is up, minutes when it was down. */
const APPROVAL_TO_APPLIED_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export interface WorkerMetricsOptions {
  cluster: string;
  /** This cluster's apply queue, for its depth. */
  queue: QueueDepthSource;
  log: Logger;
  /** Node.js process metrics too. Default true (tests turn it off: the GC observer outlives them). */
  processMetrics?: boolean;
}

export class WorkerMetrics {
  readonly registry: Registry;
  readonly endpoint: MetricsEndpoint;
  private readonly cluster: string;
  private readonly approvalToApplied: Histogram<'cluster'>;
  private readonly transitions: Counter<'cluster' | 'to'>;
  private readonly kubeErrors: KubeApiErrorMetric;

  constructor(options: WorkerMetricsOptions) {
    this.cluster = options.cluster;
    this.registry = createMetricsRegistry({ processMetrics: options.processMetrics ?? true });
    this.endpoint = metricsEndpoint(this.registry);
    const registers = [this.registry];
    this.approvalToApplied = new Histogram({
      name: 'netpol_request_approval_to_applied_seconds',
      help: 'From the approval of a request to its policies applied',
      labelNames: ['cluster'],
      buckets: APPROVAL_TO_APPLIED_BUCKETS,
      registers,
    });
    this.transitions = new Counter({
      name: 'netpol_request_transitions_total',
      help: 'Request state changes stored by this worker, by the state entered',
      labelNames: ['cluster', 'to'],
      registers,
    });
    this.kubeErrors = new KubeApiErrorMetric(registers, this.cluster);
    // Present from the start, at zero: rate() and the dashboard's cluster list need the series.
    this.approvalToApplied.zero({ cluster: this.cluster });
    for (const to of ['applying', 'applied', 'failed'])
      this.transitions.inc({ cluster: this.cluster, to }, 0);
    const log = options.log.child({ component: 'metrics' });
    registerQueueDepths(this.registry, () => [options.queue], log);
  }

  /** `store`, counting the transitions it stores and timing approval -> applied. */
  observeStore(store: RequestStoreApi): RequestStoreApi {
    const stored = (record: RequestRecord): void => this.stored(record);
    return {
      create: (record) => store.create(record),
      get: (id) => store.get(id),
      decide: (id, decision) => store.decide(id, decision),
      refuse: (id, refusal) => store.refuse(id, refusal),
      async transition(id, change) {
        const result = await store.transition(id, change);
        if (result.ok) stored(result.record);
        return result;
      },
      expire: (id, now) => store.expire(id, now),
      setApprovalMessage: (id, channel, ts) => store.setApprovalMessage(id, channel, ts),
      listByState: (states, options) => store.listByState(states, options),
      audit: (id) => store.audit(id),
      history: (cluster, namespace, options) => store.history(cluster, namespace, options),
    };
  }

  /** `api`, counting its failures by code and status (then rethrown unchanged). */
  observePolicies(api: PolicyApi): PolicyApi {
    const counted = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        this.kubeErrors.count(operation, toKubeApiError(error));
        throw error;
      }
    };
    return {
      get: (namespace, name) => counted('get', () => api.get(namespace, name)),
      apply: (policy, fieldManager) => counted('apply', () => api.apply(policy, fieldManager)),
      delete: (namespace, name) => counted('delete', () => api.delete(namespace, name)),
    };
  }

  /** The cluster sync's informers: a failed list or watch of the cluster's objects. */
  readonly informerError = (failure: KubeApiError): void => this.kubeErrors.informerError(failure);

  private stored(record: RequestRecord): void {
    this.transitions.inc({ cluster: this.cluster, to: record.state });
    if (record.state !== 'applied' || record.decidedAt === undefined || record.appliedAt === undefined)
      return;
    const seconds = (Date.parse(record.appliedAt) - Date.parse(record.decidedAt)) / 1000;
    if (Number.isFinite(seconds))
      this.approvalToApplied.observe({ cluster: this.cluster }, Math.max(0, seconds));
  }
}
