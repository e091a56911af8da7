/**
 * An informer for one Kubernetes kind over @kubernetes/client-node: it keeps a local copy of the
 * kind's objects (a Map keyed by `namespace/name`, `/name` for cluster-scoped ones) and tells its
 * listeners when the copy changes. The worker's cluster sync runs one per kind; the node agent runs
 * its own for the objects of its node.
 *
 * Why not client-node's ListWatch: it restarts only after 410 Gone and stops for good on any other
 * error, and it resumes a watch without relisting. The loop here: list (all pages) -> replace the
 * copy with the list, the list being the truth -> watch from its resourceVersion -> on a normal end
 * of the watch (the server's timeout), watch again from the last resourceVersion; on 410 Gone relist
 * at once; on any other error or failed start relist after a capped exponential backoff. The backoff
 * resets once a watch has worked (delivered an event or ended normally), so a kind whose list works
 * but whose watch keeps failing still backs off.
 *
 * Objects are kept in the wire shape (client-node's list models are converted back), with `kind` set
 * (list items lack it) and without the bulky `metadata.managedFields`.
 *
 * An optional kind (`required: false`) that the API does not serve (404) or RBAC does not let us read
 * (403) is skipped: the informer counts as synced with no objects, and stays so until the next start.
 *
 * Lifecycle: `start()` begins the loop and returns at once; `stop()` aborts the watch and the backoff
 * timer (it may be started again, which relists). `synced` is true once the kind has listed (or been
 * skipped). Single-threaded (Node's event loop): a callback from an aborted watch or list, or a timer
 * of an earlier loop, is recognised by a generation number and ignored. Listeners run synchronously
 * inside the loop; one that throws is logged and does not break the loop.
 */
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { toKubeApiError, type KubeApiError } from './kube-api-error';
import { keyOf, listKind, trimmed, type KindSource, type KubeObject } from './kube-objects';

export { keyOf, type KubeObject, type ListPage, type ListRequest } from './kube-objects';

/** How to list and watch one kind (see kinds.ts for netpol's). */
export type InformerSource = KindSource;

export interface Backoff {
  /** The first delay after a failure; each further failure doubles it. */
  initialMs: number;
  /** The cap. */
  maxMs: number;
}

/** Runs `callback` after `delayMs`; returns a function that cancels it. */
export type Schedule = (callback: () => void, delayMs: number) => () => void;

export type InformerEvent =
  /** A list replaced the whole copy: read `objects` again. */
  | { type: 'listed'; count: number; resourceVersion: string }
  /** An optional kind is not served or not readable: the copy is empty until the next start. */
  | { type: 'skipped'; status: number }
  | { type: 'added' | 'modified' | 'deleted'; key: string; object: KubeObject };

export type InformerListener = (event: InformerEvent) => void;

export interface InformerOptions {
  source: InformerSource;
  /** For the watch (the list goes through `source.list`). */
  kubeConfig: KubeConfig;
  log: Logger;
  /** Default true. See the header for what an optional kind does on 404/403. */
  required?: boolean;
  /** Restricts both the list and the watch, e.g. `spec.nodeName=node-1` for one node's pods. */
  selectors?: { labelSelector?: string; fieldSelector?: string };
  /** Default 500 ms, capped at 30 s. */
  backoff?: Backoff;
  /** Asks the server to end each watch after this long (then it is resumed). Default 300 s. */
  watchTimeoutSeconds?: number;
  /** Items a list page asks for. Default 500. */
  pageSize?: number;
  /** The backoff timer; default `setTimeout`. Tests inject one to see the delays. */
  schedule?: Schedule;
  /** Told of every list or watch failure before the relist backoff (the worker's metrics count them). */
  onApiError?: (failure: KubeApiError) => void;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

const realSchedule: Schedule = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  return () => clearTimeout(timer);
};

/** The delay before the next attempt after `failures` earlier consecutive failures. */
export function backoffDelay(failures: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 30));
}

function resourceVersionOf(object: unknown): string | undefined {
  const metadata = (object as KubeObject | undefined)?.metadata as KubeObject | undefined;
  return typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : undefined;
}

/** client-node's Watch reports a failed start as an Error with `statusCode`: make it look like an ApiException. */
function statusError(error: unknown): unknown {
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number') {
    return { code: statusCode, body: (error as Error).message ?? '' };
  }
  return error;
}

export class Informer {
  private copy = new Map<string, KubeObject>();
  private listedOnce = false;
  private skippedKind = false;
  private resourceVersion = '';
  private generation = 0;
  private failures = 0;
  private controller: AbortController | undefined;
  private cancelTimer: (() => void) | undefined;
  private stopped = true;
  private readonly listeners = new Set<InformerListener>();
  private readonly watcher: Watch;
  private readonly log: Logger;
  private readonly required: boolean;
  private readonly backoff: Backoff;
  private readonly watchTimeoutSeconds: number;
  private readonly pageSize: number;
  private readonly schedule: Schedule;

  constructor(private readonly options: InformerOptions) {
    this.watcher = new Watch(options.kubeConfig);
    this.log = options.log.child({ kind: options.source.kind });
    this.required = options.required ?? true;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.pageSize = options.pageSize ?? 500;
    this.schedule = options.schedule ?? realSchedule;
  }

  get kind(): string {
    return this.options.source.kind;
  }

  /** The kind's objects by `namespace/name`. A relist replaces the map: do not hold on to it. */
  get objects(): ReadonlyMap<string, KubeObject> {
    return this.copy;
  }

  /** Listed at least once, or skipped: the copy may be used. */
  get synced(): boolean {
    return this.listedOnce || this.skippedKind;
  }

  /** An optional kind the API did not serve or let us read. */
  get skipped(): boolean {
    return this.skippedKind;
  }

  /** Calls `listener` on every change; returns a function that unsubscribes it. */
  onChange(listener: InformerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.controller?.abort();
    this.controller = undefined;
  }

  private emit(event: InformerEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: error, event: event.type }, 'informer listener failed');
      }
    }
  }

  private async relist(): Promise<void> {
    const generation = ++this.generation;
    this.controller?.abort();
    this.controller = undefined;
    let listed: { objects: KubeObject[]; resourceVersion: string };
    try {
      listed = await listKind(this.options.source, {
        pageSize: this.pageSize,
        selectors: this.options.selectors,
      });
    } catch (error) {
      if (generation !== this.generation) return;
      const failure = toKubeApiError(error);
      if ((failure.status === 404 || failure.status === 403) && !this.required) {
        if (failure.status === 403) this.log.warn({ err: failure }, 'kind not readable; skipped');
        else this.log.info('kind not served; skipped');
        this.skippedKind = true;
        this.copy = new Map();
        this.emit({ type: 'skipped', status: failure.status });
        return;
      }
      this.retryLater(failure);
      return;
    }
    if (generation !== this.generation) return;
    const copy = new Map<string, KubeObject>();
    for (const wire of listed.objects) copy.set(keyOf(wire), wire);
    this.copy = copy;
    this.resourceVersion = listed.resourceVersion;
    this.listedOnce = true;
    this.skippedKind = false;
    this.log.debug({ count: copy.size, resourceVersion: listed.resourceVersion }, 'kind listed');
    this.emit({ type: 'listed', count: copy.size, resourceVersion: listed.resourceVersion });
    await this.watch(generation);
  }

  private async watch(generation: number): Promise<void> {
    let relistNow = false;
    let failed: unknown;
    const onEvent = (type: string, object: KubeObject): void => {
      if (generation !== this.generation) return;
      let event: InformerEvent | undefined;
      switch (type) {
        case 'ADDED':
        case 'MODIFIED': {
          const wire = trimmed(object, this.options.source.kind);
          const key = keyOf(wire);
          this.copy.set(key, wire);
          event = { type: type === 'ADDED' ? 'added' : 'modified', key, object: wire };
          break;
        }
        case 'DELETED': {
          const key = keyOf(object);
          this.copy.delete(key);
          event = { type: 'deleted', key, object: trimmed(object, this.options.source.kind) };
          break;
        }
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
      this.failures = 0;
      this.resourceVersion = resourceVersionOf(object) ?? this.resourceVersion;
      if (event !== undefined) this.emit(event);
    };
    const onDone = (error: unknown): void => {
      if (generation !== this.generation || this.stopped) return;
      const code = (error as { statusCode?: number } | null)?.statusCode;
      if (relistNow || code === 410) {
        this.log.info('watch expired; relisting');
        void this.relist();
      } else if (error !== null && error !== undefined) {
        this.retryLater(toKubeApiError(statusError(error)));
      } else if (failed !== undefined) {
        this.retryLater(toKubeApiError(failed));
      } else {
        // The server ended the watch (its timeout): carry on from where it stopped.
        this.failures = 0;
        void this.watch(generation);
      }
    };
    try {
      const controller = await this.watcher.watch(
        this.options.source.path,
        {
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: this.watchTimeoutSeconds,
          ...this.options.selectors,
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

  private retryLater(failure: KubeApiError): void {
    if (this.stopped) return;
    this.options.onApiError?.(failure);
    const generation = ++this.generation;
    this.controller?.abort();
    this.controller = undefined;
    const delay = backoffDelay(this.failures, this.backoff);
    this.failures++;
    this.log.warn(
      { status: failure.status, err: failure, delayMs: delay, failures: this.failures },
      'list or watch failed; relisting after backoff',
    );
    this.cancelTimer = this.schedule(() => {
      this.cancelTimer = undefined;
      if (generation === this.generation && !this.stopped) void this.relist();
    }, delay);
  }
}
