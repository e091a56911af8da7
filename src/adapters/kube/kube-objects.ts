/**
 * Kubernetes objects in their wire (JSON) shape, and listing one kind completely: every page of a
 * list call, each item turned back from client-node's model into wire JSON, with its `kind` set (list
 * items lack it) and without the bulky `metadata.managedFields`. The informer (informer.ts) lists
 * this way before it watches, and the one-shot cluster reader (cluster-reader.ts: the CLI on a live
 * cluster) lists this way and stops, so both see the same objects. Stateless.
 */
import { fromModel } from './kube-client';

/** A Kubernetes object in its wire (JSON) shape. */
export type KubeObject = Record<string, unknown>;

/** The parameters of one list page, as client-node's list calls take them. */
export interface ListRequest {
  limit: number;
  _continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ListPage {
  items: unknown[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/** How to list and watch one kind (see kinds.ts for netpol's). */
export interface KindSource {
  kind: string;
  /** client-node's model of one item, to turn list items back into wire JSON. */
  model: string;
  /** The watch path, e.g. `/api/v1/pods` for all namespaces. */
  path: string;
  /** One page; `signal` aborts the request (a caller's deadline). */
  list(request: ListRequest, signal?: AbortSignal): Promise<ListPage>;
}

export interface ListOptions {
  /** Items a list page asks for. Default 500. */
  pageSize?: number;
  /** Restricts the list, e.g. `spec.nodeName=node-1` for one node's pods. */
  selectors?: { labelSelector?: string; fieldSelector?: string };
  /** Aborts the page in flight (and so the list). */
  signal?: AbortSignal;
}

/** `namespace/name`; `/name` for a cluster-scoped object. */
export function keyOf(object: KubeObject): string {
  const metadata = (object.metadata ?? {}) as KubeObject;
  return `${String(metadata.namespace ?? '')}/${String(metadata.name ?? '')}`;
}

/** The object as kept: with its kind, without the bulky managedFields. */
export function trimmed(object: KubeObject, kind: string): KubeObject {
  const metadata = { ...((object.metadata ?? {}) as KubeObject) };
  delete metadata.managedFields;
  return { ...object, kind, metadata };
}

/** The group and plural resource a source lists, from its path: `networkpolicies.networking.k8s.io`. */
export function resourceOf(source: Pick<KindSource, 'path'>): string {
  const segments = source.path.split('/').filter((s) => s !== '');
  const resource = segments[segments.length - 1] ?? source.path;
  return segments[0] === 'apis' && segments[1] !== undefined ? `${resource}.${segments[1]}` : resource;
}

/**
 * Every object of the kind, all pages, in wire shape, and the list's resourceVersion (to watch
 * from). Failures are client-node's, unconverted: callers normalise them with toKubeApiError.
 */
export async function listKind(
  source: KindSource,
  options: ListOptions = {},
): Promise<{ objects: KubeObject[]; resourceVersion: string }> {
  const objects: KubeObject[] = [];
  let resourceVersion = '';
  let token: string | undefined;
  do {
    const page = await source.list(
      { limit: options.pageSize ?? 500, _continue: token, ...options.selectors },
      options.signal,
    );
    for (const item of page.items)
      objects.push(trimmed(fromModel<KubeObject>(item, source.model), source.kind));
    resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    token = page.metadata?._continue || undefined;
  } while (token !== undefined);
  return { objects, resourceVersion };
}
