/**
 * The three resources the stand-in serves and the discovery documents that announce them
 * (`/api`, `/api/v1`, `/apis`, `/apis/networking.k8s.io[/v1]`, `/version`), shaped as the real
 * server's legacy discovery so kubectl and client-node's KubernetesObjectApi find resource names and
 * scopes there. Pure data.
 */
import type { GroupKind, GroupResource } from './status';

export type ResourceName = 'namespaces' | 'pods' | 'networkpolicies';

export interface ResourceInfo {
  resource: ResourceName;
  singular: string;
  group: string;
  version: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCES: Record<ResourceName, ResourceInfo> = {
  namespaces: {
    resource: 'namespaces',
    singular: 'namespace',
    group: '',
    version: 'v1',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  },
  pods: {
    resource: 'pods',
    singular: 'pod',
    group: '',
    version: 'v1',
    kind: 'Pod',
    listKind: 'PodList',
    namespaced: true,
    shortNames: ['po'],
    verbs: VERBS,
  },
  networkpolicies: {
    resource: 'networkpolicies',
    singular: 'networkpolicy',
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'NetworkPolicy',
    listKind: 'NetworkPolicyList',
    namespaced: true,
    shortNames: ['netpol'],
    verbs: VERBS,
  },
};

export function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

export function groupResourceOf(info: ResourceInfo): GroupResource {
  return { group: info.group, resource: info.resource };
}

export function groupKindOf(info: ResourceInfo): GroupKind {
  return { group: info.group, kind: info.kind };
}

/** The resource a kind is served as, for loading plain objects (state files, `initial`). */
export function resourceForKind(apiVersion: unknown, kind: unknown): ResourceInfo | undefined {
  return Object.values(RESOURCES).find((r) => r.kind === kind && apiVersionOf(r) === apiVersion);
}

function resourceList(groupVersion: string, infos: ResourceInfo[]): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: infos.map((r) => ({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      shortNames: r.shortNames,
      storageVersionHash: '',
    })),
  };
}

const NETWORKING_GROUP = {
  name: 'networking.k8s.io',
  versions: [{ groupVersion: 'networking.k8s.io/v1', version: 'v1' }],
  preferredVersion: { groupVersion: 'networking.k8s.io/v1', version: 'v1' },
};

/** The server's version, reported as a recent release so clients enable current features. */
export const SERVER_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-netpol-stand-in',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** The discovery document served at `path`, or undefined when the path is not a discovery path. */
export function discoveryDocument(path: string, serverAddress: string): object | undefined {
  switch (path) {
    case '/api':
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
      };
    case '/api/v1':
      return resourceList('v1', [RESOURCES.namespaces, RESOURCES.pods]);
    case '/apis':
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: [NETWORKING_GROUP] };
    case '/apis/networking.k8s.io':
      return { kind: 'APIGroup', apiVersion: 'v1', ...NETWORKING_GROUP };
    case '/apis/networking.k8s.io/v1':
      return resourceList('networking.k8s.io/v1', [RESOURCES.networkpolicies]);
    case '/version':
      return SERVER_VERSION;
    default:
      return undefined;
  }
}
