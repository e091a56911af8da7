/**
 * The stand-in's storage, in the role etcd plays behind a real API server: objects by resource,
 * namespace and name, one global resourceVersion counter, and a bounded history of change events
 * for watches. A watch may resume from any resourceVersion still in the history; older ones are
 * "compacted" and answered with 410, as after etcd compaction. Single-threaded (Node's event loop):
 * every write is atomic and listeners run synchronously after it. Objects are copied in and out.
 */
import type { ResourceName } from './resources';

type Obj = Record<string, unknown>;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceName;
  /** The object as written; for DELETED, the last state with the deletion's resourceVersion. */
  object: Obj;
  /** For MODIFIED, the state before (a watch with a selector turns moves in and out into ADDED/DELETED). */
  previous?: Obj;
  resourceVersion: number;
}

export interface StoreOptions {
  /** How many change events are kept for watches to resume from. Default 1000. */
  watchHistory?: number;
}

function metaOf(object: Obj): Obj {
  return (object.metadata ?? {}) as Obj;
}

function objectKey(resource: ResourceName, namespace: string | undefined, name: string): string {
  return `${resource}/${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  private revision = 0;
  private readonly objects = new Map<string, Obj>();
  private readonly history: StoreEvent[] = [];
  /** Events with a resourceVersion up to this one are gone. */
  private compactedThrough = 0;
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly watchHistory: number;

  constructor(options: StoreOptions = {}) {
    this.watchHistory = options.watchHistory ?? 1000;
  }

  /** The current (latest) resourceVersion, as lists report it. */
  resourceVersion(): string {
    return String(this.revision);
  }

  get(resource: ResourceName, namespace: string | undefined, name: string): Obj | undefined {
    const found = this.objects.get(objectKey(resource, namespace, name));
    return found === undefined ? undefined : structuredClone(found);
  }

  /** Objects of a resource, in one namespace or all, ordered by namespace then name (etcd key order). */
  list(resource: ResourceName, namespace?: string): Obj[] {
    const prefix = namespace === undefined ? `${resource}/` : `${resource}/${namespace}/`;
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => structuredClone(v));
  }

  /** Store a new or changed object under a new resourceVersion; returns what was stored. */
  put(resource: ResourceName, object: Obj): Obj {
    const meta = metaOf(object);
    const k = objectKey(resource, meta.namespace as string | undefined, String(meta.name));
    const previous = this.objects.get(k);
    this.revision++;
    const stored = structuredClone(object);
    metaOf(stored).resourceVersion = String(this.revision);
    this.objects.set(k, stored);
    const event: StoreEvent =
      previous === undefined
        ? { type: 'ADDED', resource, object: stored, resourceVersion: this.revision }
        : { type: 'MODIFIED', resource, object: stored, previous, resourceVersion: this.revision };
    this.record(event);
    return structuredClone(stored);
  }

  /** Remove an object; returns its last state stamped with the deletion's resourceVersion. */
  remove(resource: ResourceName, namespace: string | undefined, name: string): Obj | undefined {
    const k = objectKey(resource, namespace, name);
    const existing = this.objects.get(k);
    if (existing === undefined) return undefined;
    this.objects.delete(k);
    this.revision++;
    const last = structuredClone(existing);
    metaOf(last).resourceVersion = String(this.revision);
    this.record({ type: 'DELETED', resource, object: last, resourceVersion: this.revision });
    return structuredClone(last);
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.watchHistory) {
      const dropped = this.history.shift();
      if (dropped !== undefined) this.compactedThrough = dropped.resourceVersion;
    }
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Drop the whole history: every resourceVersion before now becomes too old to watch from. */
  compact(): void {
    this.history.length = 0;
    this.compactedThrough = this.revision;
  }

  /**
   * The events after `resourceVersion`, or `{ expired }` when some of them were compacted away.
   * A version from the future yields nothing yet (the watch then waits for it).
   */
  eventsSince(resourceVersion: number): StoreEvent[] | { expired: string } {
    if (resourceVersion < this.compactedThrough) {
      return { expired: `too old resource version: ${resourceVersion} (${this.compactedThrough + 1})` };
    }
    return this.history.filter((e) => e.resourceVersion > resourceVersion).map((e) => structuredClone(e));
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
