/**
 * The watch stream (`?watch=1`): newline-delimited JSON events over one chunked 200 response, as the
 * real server sends them. From resourceVersion "" or "0" it starts with an ADDED event per current
 * object; from a version still in the store's history it replays what came after; from a compacted
 * one it sends a single ERROR event carrying a 410 Expired Status and ends. A watcher with a selector
 * sees an object that moves in as ADDED and one that moves out as DELETED. The stream ends at
 * `timeoutSeconds`, when the client goes, or when the returned stop function is called.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceInfo } from './resources';
import type { ObjectPredicate } from './selectors';
import { badRequest, expired, type Status } from './status';
import type { ObjectStore, StoreEvent } from './store';

type Obj = Record<string, unknown>;

interface WatchEvent {
  type: string;
  object: Obj;
}

export interface WatchRequest {
  req: IncomingMessage;
  res: ServerResponse;
  store: ObjectStore;
  info: ResourceInfo;
  namespace: string | undefined;
  filter: ObjectPredicate;
  query: URLSearchParams;
}

/** A store event as a watcher with a selector sees it. */
function eventsFor(
  e: StoreEvent,
  info: ResourceInfo,
  matches: (o: Obj | undefined) => boolean,
): WatchEvent[] {
  if (e.resource !== info.resource) return [];
  const now = matches(e.object);
  if (e.type !== 'MODIFIED') return now ? [{ type: e.type, object: e.object }] : [];
  const before = matches(e.previous);
  if (now && before) return [{ type: 'MODIFIED', object: e.object }];
  if (now) return [{ type: 'ADDED', object: e.object }];
  if (before) return [{ type: 'DELETED', object: e.object }];
  return [];
}

const line = (event: WatchEvent): string => `${JSON.stringify(event)}\n`;

/**
 * Start a watch. Returns a Status to answer instead (a malformed resourceVersion), or the function
 * that ends the stream (undefined when it already ended, as after a 410).
 */
export function serveWatch(w: WatchRequest): { refused: Status } | { stop?: () => void } {
  const { req, res, store, info, namespace, filter, query } = w;
  const inScope = (o: Obj): boolean =>
    namespace === undefined || ((o.metadata ?? {}) as Obj).namespace === namespace;
  const matches = (o: Obj | undefined): boolean => o !== undefined && inScope(o) && filter(o);
  const rvParam = query.get('resourceVersion') ?? '';
  let backlog: WatchEvent[];
  if (rvParam === '' || rvParam === '0') {
    backlog = store
      .list(info.resource, namespace)
      .filter(filter)
      .map((object) => ({ type: 'ADDED', object }));
  } else {
    if (!/^\d+$/.test(rvParam)) return { refused: badRequest(`invalid resource version "${rvParam}"`) };
    const since = store.eventsSince(Number(rvParam));
    if ('expired' in since) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
      res.end(line({ type: 'ERROR', object: expired(since.expired) as unknown as Obj }));
      return {};
    }
    backlog = since.flatMap((e) => eventsFor(e, info, matches));
  }
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  for (const event of backlog) res.write(line(event));
  // Subscribing in the same tick as reading the backlog: no event can fall between the two.
  const unsubscribe = store.subscribe((e) => {
    for (const event of eventsFor(e, info, matches)) res.write(line(event));
  });
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    unsubscribe();
    if (timer !== undefined) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  if (timeoutSeconds > 0) timer = setTimeout(stop, timeoutSeconds * 1000);
  req.socket.on('close', stop);
  res.on('close', stop);
  return { stop };
}
