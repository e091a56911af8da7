/**
 * Just enough OpenAPI v3 for kubectl's create and apply: the `/openapi/v3` index and, per group
 * version, a document whose PATCH operations list the `fieldValidation` query parameter. Seeing it,
 * kubectl validates on the server (`?fieldValidation=Strict`) instead of downloading schemas to
 * validate locally, so no component schemas are served. Pure data.
 */
import { RESOURCES, type ResourceInfo } from './resources';

const HASH = 'netpol-stand-in-1';

const GROUP_VERSIONS: Record<string, ResourceInfo[]> = {
  'api/v1': [RESOURCES.namespaces, RESOURCES.pods],
  'apis/networking.k8s.io/v1': [RESOURCES.networkpolicies],
};

const QUERY_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

function objectPath(groupVersion: string, info: ResourceInfo): string {
  return info.namespaced
    ? `/${groupVersion}/namespaces/{namespace}/${info.resource}/{name}`
    : `/${groupVersion}/${info.resource}/{name}`;
}

/** The document served at `path` (without the query), or undefined. */
export function openApiDocument(path: string): object | undefined {
  if (path === '/openapi/v3') {
    return {
      paths: Object.fromEntries(
        Object.keys(GROUP_VERSIONS).map((gv) => [
          gv,
          { serverRelativeURL: `/openapi/v3/${gv}?hash=${HASH}` },
        ]),
      ),
    };
  }
  const groupVersion = path.replace(/^\/openapi\/v3\//, '');
  const infos = GROUP_VERSIONS[groupVersion];
  if (!path.startsWith('/openapi/v3/') || infos === undefined) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.31.0' },
    paths: Object.fromEntries(
      infos.map((info) => [
        objectPath(groupVersion, info),
        {
          patch: {
            operationId: `patch${info.kind}`,
            parameters: QUERY_PARAMETERS,
            responses: { '200': { description: 'OK' } },
            'x-kubernetes-action': 'patch',
            'x-kubernetes-group-version-kind': { group: info.group, version: info.version, kind: info.kind },
          },
        },
      ]),
    ),
    components: { schemas: {} },
  };
}
