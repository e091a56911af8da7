/**
 * `netpol_kube_api_errors_total{cluster,operation,code,status}`: failed Kubernetes API calls by
 * operation (get, apply, delete, list-watch), catalogue code and HTTP status (0: no response).
 * One definition for every process that calls the API (the workers and the node agents), so the
 * series means the same wherever it is scraped and the dashboard sums it across them.
 */
import { Counter, type Registry } from 'prom-client';
import type { KubeApiError } from './kube-api-error';

export class KubeApiErrorMetric {
  private readonly counter: Counter<'cluster' | 'operation' | 'code' | 'status'>;

  constructor(
    registers: Registry[],
    private readonly cluster: string,
  ) {
    this.counter = new Counter({
      name: 'netpol_kube_api_errors_total',
      help: 'Failed Kubernetes API calls by operation, catalogue code and HTTP status (0: no response)',
      labelNames: ['cluster', 'operation', 'code', 'status'],
      registers,
    });
  }

  count(operation: string, failure: KubeApiError): void {
    this.counter.inc({
      cluster: this.cluster,
      operation,
      code: failure.code,
      status: String(failure.status),
    });
  }

  /** An informer's failed list or watch of the cluster's objects (the Informer's onApiError). */
  readonly informerError = (failure: KubeApiError): void => this.count('list-watch', failure);
}
