/**
 * Keeps this cluster's snapshot in the ClusterCache current, so the bot can answer and check requests
 * without credentials of its own: list+watch of namespaces, pods and NetworkPolicies (required), and
 * of Services, Deployments, StatefulSets and DaemonSets when the API serves them (a 404 on the list,
 * or a 403 when RBAC withholds them, skips the kind until the next start). Each change schedules a
 * debounced snapshot write.
 *
 * Why not client-node's ListWatch: it restarts only after 410 Gone and stops for good on any other
 * error, and it resumes a watch without relisting. Here every kind runs its own small loop: list (all
 * pages) -> replace the kind's objects with the list, the list being the truth -> watch from its
 * resourceVersion -> on a normal end of the watch, watch again from the last resourceVersion; on
 * 410 relist at once; on any other error relist after a capped exponential backoff, which resets
 * after a successful list. Until every kind has listed once no snapshot is written, so the bot never
 * sees a half-loaded cluster.
 *
 * Lifecycle: `start()` begins the loops (and returns at once), `stop()` aborts watches and timers and
 * waits for a write in flight. `waitForSnapshot()` lets tests and readiness checks await a written
 * snapshot that satisfies a condition, without sleeping. Single-threaded (Node's event loop): callbacks
 * from an aborted watch are recognised by a generation number and ignored.
 */
import { EventEmitter } from 'node:events';
import { AppsV1Api, CoreV1Api, NetworkingV1Api, Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ClusterCache, ClusterSnapshot } from '../adapters/redis/cluster-cache';
import { stateFromObjects } from '../core/state/load-state';
import type { ClusterState } from '../core/state/cluster-state';
import { toKubeApiError } from '../adapters/kube/kube-api-error';
import { fromModel } from '../adapters/kube/kube-client';

type Obj = Record<string, unknown>;

interface ListPage {
  items: unknown[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

interface Clients {
  core: CoreV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
}

interface KindSpec {
  kind: string;
  /** client-node's model of one item, to turn list items back into wire JSON. */
  model: string;
  /** The watch path (all namespaces). */
  path: string;
  /** Required kinds must list; optional ones are skipped when the API does not serve them (404). */
  required: boolean;
  list(clients: Clients, continueToken: string | undefined): Promise<ListPage>;
}

const PAGE = 500;
const WRITE_RETRY_MS = 1000;

export const SYNCED_KINDS: readonly KindSpec[] = [
  {
    kind: 'Namespace',
    model: 'V1Namespace',
    path: '/api/v1/namespaces',
    required: true,
    list: (c, token) => c.core.listNamespace({ limit: PAGE, _continue: token }),
  },
  {
    kind: 'Pod',
    model: 'V1Pod',
    path: '/api/v1/pods',
    required: true,
    list: (c, token) => c.core.listPodForAllNamespaces({ limit: PAGE, _continue: token }),
  },
  {
    kind: 'NetworkPolicy',
    model: 'V1NetworkPolicy',
    path: '/apis/networking.k8s.io/v1/networkpolicies',
    required: true,
    list: (c, token) => c.networking.listNetworkPolicyForAllNamespaces({ limit: PAGE, _continue: token }),
  },
  {
    kind: 'Service',
    model: 'V1Service',
    path: '/api/v1/services',
    required: false,
    list: (c, token) => c.core.listServiceForAllNamespaces({ limit: PAGE, _continue: token }),
  },
  {
    kind: 'Deployment',
    model: 'V1Deployment',
    path: '/apis/apps/v1/deployments',
    required: false,
    list: (c, token) => c.apps.listDeploymentForAllNamespaces({ limit: PAGE, _continue: token }),
  },
  {
    kind: 'StatefulSet',
    model: 'V1StatefulSet',
    path: '/apis/apps/v1/statefulsets',
    required: false,
    list: (c, token) => c.apps.listStatefulSetForAllNamespaces({ limit: PAGE, _continue: token }),
  },
  {
    kind: 'DaemonSet',
    model: 'V1DaemonSet',
    path: '/apis/apps/v1/daemonsets',
    required: false,
    list: (c, token) => c.apps.listDaemonSetForAllNamespaces({ limit: PAGE, _continue: token }),
  },
];

export interface ClusterSyncOptions {
  cluster: string;
  kubeConfig: KubeConfig;
  cache: Pick<ClusterCache, 'write'>;
  clock: () => Date;
  log: Logger;
  /** Quiet time before a snapshot is written after a change. Default 50 ms. */
  debounceMs?: number;
  /** Relist backoff after errors: first delay and cap. Default 500 ms, 30 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** Asks the server to end each watch after this long (then it is resumed). Default 300 s. */
  watchTimeoutSeconds?: number;
}

function keyOf(object: Obj): string {
  const metadata = (object.metadata ?? {}) as Obj;
  return `${String(metadata.namespace ?? '')}/${String(metadata.name ?? '')}`;
}

function resourceVersionOf(object: unknown): string | undefined {
  const metadata = (object as Obj | undefined)?.metadata as Obj | undefined;
  return typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : undefined;
}

/** The wire object as the snapshot needs it: with its kind, without the bulky managedFields. */
function trimmed(object: Obj, kind: string): Obj {
  const metadata = { ...((object.metadata ?? {}) as Obj) };
  delete metadata.managedFields;
  return { ...object, kind, metadata };
}

/** One kind's list+watch loop. */
class KindSync {
  objects = new Map<string, Obj>();
  /** Listed at least once (or skipped): its objects may go into a snapshot. */
  ready = false;
  skipped = false;
  private resourceVersion = '';
  private generation = 0;
  private failures = 0;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly spec: KindSpec,
    private readonly clients: Clients,
    private readonly watcher: Watch,
    private readonly options: Required<Pick<ClusterSyncOptions, 'backoff' | 'watchTimeoutSeconds'>>,
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.controller?.abort();
    this.controller = undefined;
  }

  private async relist(): Promise<void> {
    const generation = ++this.generation;
    this.controller?.abort();
    this.controller = undefined;
    let items: unknown[] = [];
    let resourceVersion = '';
    try {
      let token: string | undefined;
      do {
        const page = await this.spec.list(this.clients, token);
        items = items.concat(page.items);
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        token = page.metadata?._continue || undefined;
      } while (token !== undefined);
    } catch (error) {
      if (generation !== this.generation) return;
      const failure = toKubeApiError(error);
      // An optional kind the API does not serve (404) or RBAC does not let us read (403) is left out.
      if ((failure.status === 404 || failure.status === 403) && !this.spec.required) {
        if (failure.status === 403) this.log.warn({ err: failure }, 'kind not readable; skipped');
        else this.log.info('kind not served; skipped');
        this.skipped = true;
        this.ready = true;
        this.objects.clear();
        this.onChange();
        return;
      }
      this.retryLater(failure);
      return;
    }
    if (generation !== this.generation) return;
    const listed = new Map<string, Obj>();
    for (const item of items) {
      const wire = trimmed(fromModel<Obj>(item, this.spec.model), this.spec.kind);
      listed.set(keyOf(wire), wire);
    }
    this.objects = listed;
    this.resourceVersion = resourceVersion;
    this.ready = true;
    this.skipped = false;
    this.failures = 0;
    this.log.debug({ count: listed.size, resourceVersion }, 'kind listed');
    this.onChange();
    await this.watch(generation);
  }

  private async watch(generation: number): Promise<void> {
    let relistNow = false;
    let failed: unknown;
    const onEvent = (type: string, object: Obj): void => {
      if (generation !== this.generation) return;
      switch (type) {
        case 'ADDED':
        case 'MODIFIED': {
          const wire = trimmed(object, this.spec.kind);
          this.objects.set(keyOf(wire), wire);
          break;
        }
        case 'DELETED':
          this.objects.delete(keyOf(object));
          break;
        case 'BOOKMARK':
          break;
        case 'ERROR':
          // A Status: 410 means our resourceVersion is too old, anything else is a failure.
          if (object.code === 410) relistNow = true;
          else failed = { code: object.code, body: object };
          return;
        default:
          return;
      }
      this.resourceVersion = resourceVersionOf(object) ?? this.resourceVersion;
      if (type !== 'BOOKMARK') this.onChange();
    };
    const onDone = (error: unknown): void => {
      if (generation !== this.generation || this.stopped) return;
      const code = (error as { statusCode?: number; code?: unknown } | null)?.statusCode;
      if (relistNow || code === 410) {
        this.log.info('watch expired; relisting');
        void this.relist();
      } else if (error !== null && error !== undefined) {
        this.retryLater(toKubeApiError(statusError(error)));
      } else if (failed !== undefined) {
        this.retryLater(toKubeApiError(failed));
      } else {
        // The server ended the watch (its timeout): carry on from where it stopped.
        void this.watch(generation);
      }
    };
    try {
      const controller = await this.watcher.watch(
        this.spec.path,
        {
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: this.options.watchTimeoutSeconds,
        },
        onEvent,
        onDone,
      );
      if (generation !== this.generation) controller.abort();
      else this.controller = controller;
    } catch (error) {
      if (generation === this.generation) this.retryLater(toKubeApiError(error));
    }
  }

  private retryLater(failure: Error & { status?: number }): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    this.controller?.abort();
    this.controller = undefined;
    const { initialMs, maxMs } = this.options.backoff;
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    this.log.warn(
      { status: failure.status, err: failure, delayMs: delay, failures: this.failures },
      'list or watch failed; relisting after backoff',
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (generation === this.generation && !this.stopped) void this.relist();
    }, delay);
  }
}

/** client-node's Watch reports a failed start as an Error with `statusCode`: make it look like an ApiException. */
function statusError(error: unknown): unknown {
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number') {
    return { code: statusCode, body: (error as Error).message ?? '' };
  }
  return error;
}

/**
 * The state from API objects. An object the state reader rejects (which the API server should never
 * serve) is left out with a warning rather than blanking the whole snapshot.
 */
export function stateOf(objects: readonly Obj[], log: Logger): ClusterState {
  try {
    return stateFromObjects(objects);
  } catch {
    const valid = objects.filter((object) => {
      try {
        stateFromObjects([object]);
        return true;
      } catch (error) {
        log.warn({ object: keyOf(object), kind: object.kind, err: error }, 'object left out of snapshot');
        return false;
      }
    });
    return stateFromObjects(valid);
  }
}

export class ClusterSync {
  private readonly kinds: KindSync[];
  private readonly events = new EventEmitter();
  private readonly debounceMs: number;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private running = false;
  private last: ClusterSnapshot | undefined;

  constructor(private readonly options: ClusterSyncOptions) {
    this.debounceMs = options.debounceMs ?? 50;
    const kc = options.kubeConfig;
    const clients: Clients = {
      core: kc.makeApiClient(CoreV1Api),
      apps: kc.makeApiClient(AppsV1Api),
      networking: kc.makeApiClient(NetworkingV1Api),
    };
    const watcher = new Watch(kc);
    const loopOptions = {
      backoff: options.backoff ?? { initialMs: 500, maxMs: 30_000 },
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
    };
    this.kinds = SYNCED_KINDS.map(
      (spec) =>
        new KindSync(
          spec,
          clients,
          watcher,
          loopOptions,
          () => this.changed(),
          options.log.child({ kind: spec.kind }),
        ),
    );
    this.events.setMaxListeners(0);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.options.log.info('cluster sync starting');
    for (const kind of this.kinds) kind.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const kind of this.kinds) kind.stop();
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
    if (!this.kinds.every((k) => k.ready)) return;
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
    const objects = this.kinds.flatMap((k) => [...k.objects.values()]);
    const snapshot: ClusterSnapshot = {
      cluster: this.options.cluster,
      state: stateOf(objects, this.options.log),
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
