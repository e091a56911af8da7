/**
 * A Kubernetes API server stand-in on loopback for netpol's tests and for trying netpol by hand:
 * namespaces, pods and networking.k8s.io/v1 NetworkPolicies over the real REST paths, verbs, watch
 * stream (watch.ts), Status errors, validation, resourceVersion and server-side apply semantics
 * (registry.ts), so @kubernetes/client-node and kubectl run their real code against it. Plain http
 * by default; `tls: true` serves HTTPS with a throwaway certificate, which kubectl needs.
 *
 * Lifecycle: `startKubeApiStandIn()` listens and resolves once it accepts connections; `close()` ends
 * open watches and connections. Everything runs on Node's event loop: each request is handled to the
 * end of its synchronous part before the next, so store writes and watch fan-out are ordered.
 *
 * Test hooks: `failNext()` injects Status failures (faults.ts), `requests` records every request,
 * `waitFor()` awaits a condition without sleeping, `compact()` makes old resourceVersions too old
 * and `dropWatches()` ends open watches, as a real server's watch timeout does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { FaultQueue, type Fault, type Verb } from './faults';
import { clientKubeConfig, writeKubeconfigFile } from './kubeconfig';
import { asListItem, Registry, type ApiResult, type WriteOptions } from './registry';
import {
  apiVersionOf,
  discoveryDocument,
  RESOURCES,
  resourceForKind,
  type ResourceInfo,
  type ResourceName,
} from './resources';
import {
  BodyError,
  managerOf,
  mediaType,
  parseBody,
  parseRoute,
  PATCH_TYPES,
  readBody,
  verbOf,
} from './routes';
import { parseFieldSelector, parseLabelSelector, SelectorError, type ObjectPredicate } from './selectors';
import {
  badRequest,
  internalError,
  invalid,
  methodNotAllowed,
  resourceNotFound,
  unauthorized,
  unsupportedMediaType,
  type Status,
} from './status';
import { ObjectStore } from './store';
import { toTable, wantsTable, type IncludeObject } from './tables';
import { selfSignedCertificate, type Certificate } from './tls';
import { serveWatch } from './watch';

export type { Fault, FaultStatus, Verb } from './faults';

type Obj = Record<string, unknown>;

export interface InitialObjects {
  namespaces?: object[];
  pods?: object[];
  networkpolicies?: object[];
}

export interface KubeApiStandInOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Serve HTTPS with a self-signed certificate (made with openssl), which the kubeconfigs trust.
   * Needed for kubectl, which sends no credentials to a plain-http cluster. Default false.
   */
  tls?: boolean;
  /** Objects present from the start (namespaces a namespaced object needs are created if missing). */
  initial?: InitialObjects;
  /** The bearer token clients must send. Default `netpol-stand-in-token`. */
  token?: string;
  /** The user the token authenticates as, named in 403 messages. Default `system:serviceaccount:netpol:worker`. */
  user?: string;
  /** Change events kept for watches to resume from; older resourceVersions get 410. Default 1000. */
  watchHistory?: number;
  /** Keep every request in `requests` (default true; a long-running stand-in may turn it off). */
  recordRequests?: boolean;
  clock?: () => Date;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  accept?: string;
  userAgent?: string;
  /** The parsed body (JSON or YAML), when there was one and it parsed. */
  body?: unknown;
  rawBody: string;
  verb?: Verb;
  resource?: ResourceName;
  namespace?: string;
  name?: string;
  /** The HTTP status answered (200 for a watch that was started). */
  status?: number;
}

export interface SeedOptions {
  manager?: string;
  apply?: boolean;
}

/** A read-only view of the stand-in's storage, for assertions and `waitFor`. */
export interface StoreView {
  get(resource: ResourceName, namespace: string | undefined, name: string): Obj | undefined;
  list(resource: ResourceName, namespace?: string): Obj[];
  resourceVersion(): string;
}

export interface KubeApiStandIn {
  readonly url: string;
  readonly token: string;
  /** The PEM certificate clients must trust, when serving HTTPS. */
  readonly caPem?: string;
  readonly requests: RecordedRequest[];
  readonly store: StoreView;
  kubeConfig(): KubeConfig;
  writeKubeconfig(path: string): Promise<void>;
  failNext(fault: Fault): void;
  clearFaults(): void;
  /**
   * Create or replace objects directly, routed by kind, as another actor would: they are owned by
   * `manager` (default `netpol-stand-in`) through an Update, so an apply that changes their fields
   * conflicts as with objects someone else created; `apply: true` seeds them as that manager's
   * (forced) server-side apply instead.
   */
  seed(objects: object[], options?: SeedOptions): void;
  /**
   * Resolves with the predicate's first truthy result, checked now and again after every store change
   * and every answered request (so it may look at `requests` too); rejects after `timeoutMs` (5000).
   */
  waitFor<T>(predicate: (store: StoreView) => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Forget the watch history: a watch from any resourceVersion before the current one gets 410. */
  compact(): void;
  /** End every open watch stream, as the real server does when a watch's timeout comes. */
  dropWatches(): void;
  close(): Promise<void>;
}

const PATCH_OPTIONS = { group: 'meta.k8s.io', kind: 'PatchOptions' };

class StandIn implements KubeApiStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly token: string;
  readonly store: StoreView;
  url = '';
  readonly caPem?: string;
  private readonly objects: ObjectStore;
  private readonly registry: Registry;
  private readonly faults: FaultQueue;
  private readonly recordRequests: boolean;
  private readonly clock: () => Date;
  private readonly server: Server;
  private readonly closers = new Set<() => void>();
  /** Called after every store change and every answered request (waitFor's re-checks). */
  private readonly observers = new Set<() => void>();

  constructor(options: KubeApiStandInOptions, certificate: Certificate | undefined) {
    this.token = options.token ?? 'netpol-stand-in-token';
    this.recordRequests = options.recordRequests ?? true;
    this.faults = new FaultQueue(options.user ?? 'system:serviceaccount:netpol:worker');
    this.clock = options.clock ?? (() => new Date());
    this.objects = new ObjectStore({ watchHistory: options.watchHistory });
    this.registry = new Registry({ store: this.objects, clock: this.clock });
    const objects = this.objects;
    this.store = {
      get: (resource, namespace, name) => objects.get(resource, namespace, name),
      list: (resource, namespace) => objects.list(resource, namespace),
      resourceVersion: () => objects.resourceVersion(),
    };
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((error: unknown) => {
        const status = internalError(error instanceof Error ? error.message : String(error));
        if (!res.headersSent) this.sendStatus(res, status);
        else res.destroy();
      });
    };
    if (certificate === undefined) this.server = createServer(handler);
    else {
      this.caPem = certificate.cert;
      this.server = createHttpsServer({ cert: certificate.cert, key: certificate.key }, handler);
    }
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `${this.caPem === undefined ? 'http' : 'https'}://${shownHost}:${address.port}`;
  }

  kubeConfig(): KubeConfig {
    return clientKubeConfig({ url: this.url, token: this.token, caPem: this.caPem });
  }

  writeKubeconfig(path: string): Promise<void> {
    return writeKubeconfigFile(path, { url: this.url, token: this.token, caPem: this.caPem });
  }

  failNext(fault: Fault): void {
    this.faults.push(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  compact(): void {
    this.objects.compact();
  }

  dropWatches(): void {
    for (const close of [...this.closers]) close();
  }

  private notify(): void {
    for (const observer of [...this.observers]) observer();
  }

  seed(objects: object[], seedOptions: SeedOptions = {}): void {
    const order: ResourceName[] = ['namespaces', 'pods', 'networkpolicies'];
    const routed = objects.map((o) => {
      const obj = o as Obj;
      const info = resourceForKind(obj.apiVersion, obj.kind);
      if (info === undefined) {
        throw new Error(`the stand-in serves no ${String(obj.apiVersion)} ${String(obj.kind)}`);
      }
      return { info, obj };
    });
    routed.sort((a, b) => order.indexOf(a.info.resource) - order.indexOf(b.info.resource));
    const options = { dryRun: false, manager: seedOptions.manager ?? 'netpol-stand-in' };
    for (const { info, obj } of routed) {
      const meta = (obj.metadata ?? {}) as Obj;
      const namespace = info.namespaced ? String(meta.namespace ?? 'default') : undefined;
      if (namespace !== undefined && !this.registry.namespaceExists(namespace)) {
        this.expectOk(
          this.registry.create(RESOURCES.namespaces, undefined, { metadata: { name: namespace } }, options),
        );
      }
      const name = String(meta.name ?? '');
      const exists = this.objects.get(info.resource, namespace, name) !== undefined;
      const copy = structuredClone(obj);
      if (typeof copy.metadata === 'object' && copy.metadata !== null) {
        delete (copy.metadata as Obj).resourceVersion;
      }
      if (seedOptions.apply === true) {
        this.expectOk(this.registry.apply(info, namespace, name, copy, { ...options, force: true }));
      } else {
        this.expectOk(
          exists
            ? this.registry.update(info, namespace, name, copy, options)
            : this.registry.create(info, namespace, copy, options),
        );
      }
    }
  }

  private expectOk(result: ApiResult): void {
    if (result.code >= 300)
      throw new Error(`seeding the stand-in failed: ${(result.body as Status).message}`);
  }

  waitFor<T>(predicate: (store: StoreView) => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const result = predicate(this.store);
        if (result === undefined || result === null || result === false) return false;
        cleanup();
        resolve(result);
        return true;
      };
      const observer = (): void => {
        try {
          check();
        } catch (error) {
          cleanup();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const unsubscribe = this.objects.subscribe(observer);
      this.observers.add(observer);
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`waitFor: condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        unsubscribe();
        this.observers.delete(observer);
      };
      try {
        check();
      } catch (error) {
        cleanup();
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  async close(): Promise<void> {
    for (const close of [...this.closers]) close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private send(res: ServerResponse, code: number, body: object, warnings?: string[]): void {
    const text = JSON.stringify(body);
    const headers: Record<string, string | string[]> = {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Content-Length': String(Buffer.byteLength(text)),
    };
    if (warnings !== undefined && warnings.length > 0) headers.Warning = warnings;
    if (code === 429) headers['Retry-After'] = String((body as Status).details?.retryAfterSeconds ?? 1);
    res.writeHead(code, headers);
    res.end(text);
  }

  private sendStatus(res: ServerResponse, status: Status): void {
    this.send(res, status.code, status);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const rawBody = await readBody(req);
    const contentType = mediaType(req.headers['content-type']);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      rawBody,
    };
    if (req.headers['content-type'] !== undefined) record.contentType = req.headers['content-type'];
    if (req.headers.accept !== undefined) record.accept = req.headers.accept;
    if (req.headers['user-agent'] !== undefined) record.userAgent = req.headers['user-agent'];
    if (this.recordRequests) this.requests.push(record);
    res.on('finish', () => {
      record.status ??= res.statusCode;
      this.notify();
    });

    let body: unknown;
    try {
      body = parseBody(rawBody, contentType);
      if (body !== undefined) record.body = body;
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      this.sendStatus(res, badRequest(error.message));
      return;
    }

    const route = parseRoute(url.pathname);
    const authorization = req.headers.authorization;
    const authenticated = authorization === `Bearer ${this.token}`;
    const publicPath = route.type === 'health' || (route.type === 'discovery' && route.path === '/version');
    if (!authenticated && (authorization !== undefined || !publicPath)) {
      this.sendStatus(res, unauthorized());
      return;
    }

    switch (route.type) {
      case 'health':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('ok');
        return;
      case 'discovery': {
        const host = req.headers.host ?? '';
        this.send(res, 200, discoveryDocument(route.path, host) ?? {});
        return;
      }
      case 'openapi':
        this.send(res, 200, route.document);
        return;
      case 'notFound':
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('404 page not found\n');
        return;
      case 'unknownResource':
        this.sendStatus(res, resourceNotFound());
        return;
      case 'resource':
        break;
    }

    const { info, namespace, name } = route.route;
    const watch = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
    const verb = verbOf(record.method, route.route, watch);
    record.resource = info.resource;
    if (namespace !== undefined) record.namespace = namespace;
    if (name !== undefined) record.name = name;
    if (verb === undefined) {
      this.sendStatus(res, methodNotAllowed(record.method));
      return;
    }
    record.verb = verb;

    const fault = this.faults.take({ verb, info, namespace, name });
    if (fault !== undefined) {
      this.sendStatus(res, fault);
      return;
    }

    const query = url.searchParams;
    const dryRun = query.getAll('dryRun').includes('All');
    const write: WriteOptions = {
      dryRun,
      manager: managerOf(query, record.userAgent),
      fieldValidation: (['Strict', 'Warn', 'Ignore'] as const).find(
        (v) => v === query.get('fieldValidation'),
      ),
    };
    switch (verb) {
      case 'get':
        return this.respond(res, req, this.registry.get(info, namespace, name ?? ''), info);
      case 'list':
      case 'watch':
      case 'deletecollection': {
        let filter: ObjectPredicate;
        try {
          const byLabel = parseLabelSelector(query.get('labelSelector') ?? undefined);
          const byField = parseFieldSelector(info.resource, query.get('fieldSelector') ?? undefined);
          filter = (o) => byLabel(o) && byField(o);
        } catch (error) {
          if (!(error instanceof SelectorError)) throw error;
          this.sendStatus(res, badRequest(error.message));
          return;
        }
        if (verb === 'watch') {
          const started = serveWatch({ req, res, store: this.objects, info, namespace, filter, query });
          if ('refused' in started) return this.sendStatus(res, started.refused);
          const stop = started.stop;
          if (stop !== undefined) {
            this.closers.add(stop);
            res.on('close', () => this.closers.delete(stop));
            // A started watch has answered 200 but not finished: tell waiters now.
            record.status = res.statusCode;
            this.notify();
          }
          return;
        }
        if (verb === 'list') return this.respond(res, req, this.registry.list(info, namespace, filter), info);
        return this.deleteCollection(res, info, namespace ?? '', filter, dryRun);
      }
      case 'create':
        return this.respond(res, req, this.registry.create(info, namespace, body, write), info);
      case 'update':
        return this.respond(res, req, this.registry.update(info, namespace, name ?? '', body, write), info);
      case 'delete':
        return this.respond(
          res,
          req,
          this.registry.delete(info, namespace, name ?? '', body, { dryRun }),
          info,
        );
      case 'patch':
        return this.patch(req, res, info, namespace, name ?? '', contentType, body, query, write);
    }
  }

  private patch(
    req: IncomingMessage,
    res: ServerResponse,
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    contentType: string,
    body: unknown,
    query: URLSearchParams,
    write: WriteOptions,
  ): void {
    const type = PATCH_TYPES[contentType];
    if (type === undefined) {
      this.sendStatus(res, unsupportedMediaType(contentType, Object.keys(PATCH_TYPES)));
      return;
    }
    const force = query.get('force');
    if (type !== 'apply') {
      if (force !== null) {
        this.sendStatus(
          res,
          invalid(PATCH_OPTIONS, '', [
            {
              type: 'FieldValueForbidden',
              field: 'force',
              detail: 'may not be specified for non-apply patch',
            },
          ]),
        );
        return;
      }
      this.respond(res, req, this.registry.patch(info, namespace, name, type, body, write), info);
      return;
    }
    const manager = query.get('fieldManager') ?? '';
    if (manager === '') {
      this.sendStatus(
        res,
        invalid(PATCH_OPTIONS, '', [
          { type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' },
        ]),
      );
      return;
    }
    const result = this.registry.apply(info, namespace, name, body, {
      ...write,
      manager,
      force: force === 'true',
    });
    this.respond(res, req, result, info);
  }

  private deleteCollection(
    res: ServerResponse,
    info: ResourceInfo,
    namespace: string,
    filter: ObjectPredicate,
    dryRun: boolean,
  ): void {
    const deleted: Obj[] = [];
    for (const o of this.objects.list(info.resource, namespace).filter(filter)) {
      const name = String(((o.metadata ?? {}) as Obj).name);
      if (!dryRun) this.objects.remove(info.resource, namespace, name);
      deleted.push(asListItem(o));
    }
    this.send(res, 200, {
      kind: info.listKind,
      apiVersion: apiVersionOf(info),
      metadata: { resourceVersion: this.objects.resourceVersion() },
      items: deleted,
    });
  }

  /** Send a registry result, as a Table when the client asked for one and it is not an error. */
  private respond(res: ServerResponse, req: IncomingMessage, result: ApiResult, info: ResourceInfo): void {
    const body = result.body as Obj;
    if (result.code < 300 && wantsTable(req.headers.accept) && body.kind !== 'Status') {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const includeObject = (url.searchParams.get('includeObject') ?? 'Metadata') as IncludeObject;
      const isList = Array.isArray(body.items);
      const objects = isList ? (body.items as Obj[]) : [body];
      const resourceVersion = isList ? ((body.metadata ?? {}) as Obj).resourceVersion : undefined;
      const table = toTable(info.resource, objects, {
        includeObject,
        now: this.clock(),
        resourceVersion: typeof resourceVersion === 'string' ? resourceVersion : undefined,
      });
      this.send(res, result.code, table, result.warnings);
      return;
    }
    this.send(res, result.code, result.body, result.warnings);
  }
}

export async function startKubeApiStandIn(options: KubeApiStandInOptions = {}): Promise<KubeApiStandIn> {
  const standIn = new StandIn(options, options.tls === true ? await selfSignedCertificate() : undefined);
  const initial = options.initial ?? {};
  standIn.seed([...(initial.namespaces ?? []), ...(initial.pods ?? []), ...(initial.networkpolicies ?? [])]);
  await standIn.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return standIn;
}
