/**
 * The kinds netpol reads, as sources for the informer (informer.ts) and the one-shot reader
 * (cluster-reader.ts): each kind's client-node list call over all namespaces, its watch path and its
 * model. `kindSources()` makes the API clients once for a KubeConfig; the sources hold no state of
 * their own and may be shared by several informers.
 */
import { AppsV1Api, CoreV1Api, NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { KindSource } from './kube-objects';

export type KindName =
  'Namespace' | 'Pod' | 'NetworkPolicy' | 'Service' | 'Deployment' | 'StatefulSet' | 'DaemonSet';

export function kindSources(kubeConfig: KubeConfig): Readonly<Record<KindName, KindSource>> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const networking = kubeConfig.makeApiClient(NetworkingV1Api);
  return {
    Namespace: {
      kind: 'Namespace',
      model: 'V1Namespace',
      path: '/api/v1/namespaces',
      list: (request) => core.listNamespace(request),
    },
    Pod: {
      kind: 'Pod',
      model: 'V1Pod',
      path: '/api/v1/pods',
      list: (request) => core.listPodForAllNamespaces(request),
    },
    NetworkPolicy: {
      kind: 'NetworkPolicy',
      model: 'V1NetworkPolicy',
      path: '/apis/networking.k8s.io/v1/networkpolicies',
      list: (request) => networking.listNetworkPolicyForAllNamespaces(request),
    },
    Service: {
      kind: 'Service',
      model: 'V1Service',
      path: '/api/v1/services',
      list: (request) => core.listServiceForAllNamespaces(request),
    },
    Deployment: {
      kind: 'Deployment',
      model: 'V1Deployment',
      path: '/apis/apps/v1/deployments',
      list: (request) => apps.listDeploymentForAllNamespaces(request),
    },
    StatefulSet: {
      kind: 'StatefulSet',
      model: 'V1StatefulSet',
      path: '/apis/apps/v1/statefulsets',
      list: (request) => apps.listStatefulSetForAllNamespaces(request),
    },
    DaemonSet: {
      kind: 'DaemonSet',
      model: 'V1DaemonSet',
      path: '/apis/apps/v1/daemonsets',
      list: (request) => apps.listDaemonSetForAllNamespaces(request),
    },
  };
}
