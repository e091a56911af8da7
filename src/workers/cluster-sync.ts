/**
 * Keeps this cluster's snapshot in the ClusterCache current, so the bot can answer and check requests
 * without credentials of its own. One informer (adapters/kube/informer.ts) per kind follows
 * namespaces, pods and NetworkPolicies (required), and Services, Deployments, StatefulSets and
 * DaemonSets when the API serves them (a 404 on the list, or a 403 when RBAC withholds them, skips the
 * kind until the next start). What is left here is the worker's part: every change an informer
 * reports schedules a debounced snapshot write, and the snapshot is made from all informers' objects.
 * Until every kind has listed once no snapshot is written, so the bot never sees a half-loaded cluster.
 * The kinds, and how their objects become a state, are adapters/kube/cluster-reader.ts's: the CLI
 * reads a live cluster through the same, so both see one cluster alike.
 *
 * Lifecycle: `start()` starts the informers (and returns at once), `stop()` stops them and the
 * debounce timer and waits for a write in flight. `waitForSnapshot()` lets tests and readiness checks
 * await a written snapshot that satisfies a condition, without sleeping. Single-threaded (Node's event
 * loop): one write at a time; a change during a write schedules another.
 */
import { EventEmitter } from 'node:events';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ClusterCache, ClusterSnapshot } from '../adapters/redis/cluster-cache';
import { CLUSTER_KINDS, stateOfObjects } from '../adapters/kube/cluster-reader';
import { Informer, type Backoff, type InformerOptions } from '../adapters/kube/informer';
import { kindSources } from '../adapters/kube/kinds';

const WRITE_RETRY_MS = 1000;

export interface ClusterSyncOptions {
  cluster: string;
  kubeConfig: KubeConfig;
  cache: Pick<ClusterCache, 'write'>;
  clock: () => Date;
  log: Logger;
  /** Quiet time before a snapshot is written after a change. Default 50 ms. */
  debounceMs?: number;
  /** Relist backoff after errors: first delay and cap. Default 500 ms, 30 s. */
  backoff?: Backoff;
  /** Asks the server to end each watch after this long (then it is resumed). Default 300 s. */
  watchTimeoutSeconds?: number;
  /** Told of every list or watch failure of any kind (the worker's metrics count them). */
  onApiError?: InformerOptions['onApiError'];
}

export class ClusterSync {
  private readonly informers: Informer[];
  private readonly events = new EventEmitter();
  private readonly debounceMs: number;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private running = false;
  private last: ClusterSnapshot | undefined;

  constructor(private readonly options: ClusterSyncOptions) {
    this.debounceMs = options.debounceMs ?? 50;
    const sources = kindSources(options.kubeConfig);
    this.informers = CLUSTER_KINDS.map(({ kind, required }) => {
      const informer = new Informer({
        source: sources[kind],
        kubeConfig: options.kubeConfig,
        log: options.log,
        required,
        backoff: options.backoff,
        watchTimeoutSeconds: options.watchTimeoutSeconds,
        onApiError: options.onApiError,
      });
      informer.onChange(() => this.changed());
      return informer;
    });
    this.events.setMaxListeners(0);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.options.log.info('cluster sync starting');
    for (const informer of this.informers) informer.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const informer of this.informers) informer.stop();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
  }

  /** The last snapshot this process wrote. */
  lastSnapshot(): ClusterSnapshot | undefined {
    return this.last;
  }

  /** Resolves with the first written snapshot (the last one, or a later one) that satisfies `predicate`. */
  waitForSnapshot(
    predicate: (snapshot: ClusterSnapshot) => boolean,
    timeoutMs = 5000,
  ): Promise<ClusterSnapshot> {
    return new Promise((resolve, reject) => {
      const check = (snapshot: ClusterSnapshot): void => {
        if (!predicate(snapshot)) return;
        cleanup();
        resolve(snapshot);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no snapshot of cluster ${this.options.cluster} met the condition within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('snapshot', check);
      };
      this.events.on('snapshot', check);
      if (this.last !== undefined) check(this.last);
    });
  }

  private changed(delayMs = this.debounceMs): void {
    if (!this.running) return;
    if (!this.informers.every((informer) => informer.synced)) return;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  private async flush(): Promise<void> {
    if (this.writing !== undefined) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    const objects = this.informers.flatMap((informer) => [...informer.objects.values()]);
    const snapshot: ClusterSnapshot = {
      cluster: this.options.cluster,
      state: stateOfObjects(objects, (object, error) =>
        this.options.log.warn(
          { object: object.key, kind: object.kind, err: error },
          'object left out of snapshot',
        ),
      ),
      updatedAt: this.options.clock().toISOString(),
    };
    let failed = false;
    this.writing = this.options.cache.write(snapshot).then(
      () => {
        this.last = snapshot;
        this.options.log.debug(
          { pods: snapshot.state.pods.length, policies: snapshot.state.policies.length },
          'snapshot written',
        );
        this.events.emit('snapshot', snapshot);
      },
      (error: unknown) => {
        failed = true;
        this.options.log.error({ err: error }, 'snapshot not written');
      },
    );
    await this.writing;
    this.writing = undefined;
    // Redis unavailable: try again, but not at the debounce's pace.
    if (failed) this.changed(WRITE_RETRY_MS);
    else if (this.dirty) this.changed();
  }
}
