/**
 * Reading a request: which route a path is (discovery, OpenAPI, health, or a resource with its
 * namespace and name), which Kubernetes verb a method means there, and the body parsed by its media
 * type. Pure but for `readBody`.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { Verb } from './faults';
import { openApiDocument } from './openapi';
import type { PatchType } from './registry';
import { RESOURCES, type ResourceInfo, type ResourceName } from './resources';

export interface ResourceRoute {
  info: ResourceInfo;
  namespace?: string;
  name?: string;
}

export type Route =
  | { type: 'discovery'; path: string }
  | { type: 'openapi'; document: object }
  | { type: 'health' }
  | { type: 'resource'; route: ResourceRoute }
  | { type: 'unknownResource' }
  | { type: 'notFound' };

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (['/healthz', '/livez', '/readyz'].includes(path)) return { type: 'health' };
  if (
    [
      '/api',
      '/api/v1',
      '/apis',
      '/apis/networking.k8s.io',
      '/apis/networking.k8s.io/v1',
      '/version',
    ].includes(path)
  ) {
    return { type: 'discovery', path };
  }
  const openapi = openApiDocument(path);
  if (openapi !== undefined) return { type: 'openapi', document: openapi };
  const parts = path.split('/').slice(1).map(decodeURIComponent);
  let rest: string[];
  let own: ResourceName[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    rest = parts.slice(2);
    own = ['namespaces', 'pods'];
  } else if (parts[0] === 'apis' && parts[1] === 'networking.k8s.io' && parts[2] === 'v1') {
    rest = parts.slice(3);
    own = ['networkpolicies'];
  } else {
    return { type: 'notFound' };
  }
  const isOwn = (r: string | undefined): r is ResourceName => own.includes(r as ResourceName);
  const [a, b, c, d, ...more] = rest;
  if (more.length > 0) return { type: 'unknownResource' };
  if (a === 'namespaces' && b !== undefined && c !== undefined) {
    if (!isOwn(c) || !RESOURCES[c].namespaced) return { type: 'unknownResource' };
    return { type: 'resource', route: { info: RESOURCES[c], namespace: b, name: d } };
  }
  if (isOwn(a) && c === undefined) {
    if (a === 'namespaces') return { type: 'resource', route: { info: RESOURCES.namespaces, name: b } };
    if (b !== undefined) return { type: 'unknownResource' };
    return { type: 'resource', route: { info: RESOURCES[a] } };
  }
  return { type: 'unknownResource' };
}

export function verbOf(method: string, route: ResourceRoute, watch: boolean): Verb | undefined {
  const named = route.name !== undefined;
  switch (method) {
    case 'GET':
      return named ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return named ? undefined : 'create';
    case 'PUT':
      return named ? 'update' : undefined;
    case 'PATCH':
      return named ? 'patch' : undefined;
    case 'DELETE':
      return named
        ? 'delete'
        : route.info.namespaced && route.namespace !== undefined
          ? 'deletecollection'
          : undefined;
    default:
      return undefined;
  }
}

export const PATCH_TYPES: Record<string, PatchType> = {
  'application/apply-patch+yaml': 'apply',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
};

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export class BodyError extends Error {}

export function parseBody(raw: string, contentType: string): unknown {
  if (raw.trim() === '') return undefined;
  if (contentType.endsWith('yaml')) {
    try {
      return parseYaml(raw) as unknown;
    } catch (error) {
      throw new BodyError(`error converting YAML to JSON: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new BodyError(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The manager of a non-apply write: `fieldManager`, else the User-Agent up to its first "/". */
export function managerOf(query: URLSearchParams, userAgent: string | undefined): string {
  const explicit = query.get('fieldManager');
  if (explicit !== null && explicit !== '') return explicit;
  return (userAgent ?? '').split('/')[0]?.slice(0, 128) ?? '';
}
