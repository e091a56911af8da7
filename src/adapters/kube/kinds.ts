/**
 * The kinds netpol reads, as sources for the informer (informer.ts) and the one-shot reader
 * (cluster-reader.ts): each kind's client-node list call over all namespaces, its watch path and its
 * model. `kindSources()` makes the API clients once for a KubeConfig; the sources hold no state of
 * their own and may be shared by several informers.
 */
import {
  AppsV1Api,
  CoreV1Api,
  NetworkingV1Api,
  Observable,
  type ConfigurationOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { KindSource } from './kube-objects';

export type KindName =
  'Namespace' | 'Pod' | 'NetworkPolicy' | 'Service' | 'Deployment' | 'StatefulSet' | 'DaemonSet';

/**
 * client-node's per-call options that tie a request to an AbortSignal (its fetch takes the context's
 * signal); none without a signal. Appended to the client's own middleware, which stays. The object
 * API takes its middleware in client-node's Observable shape.
 */
function abortable(signal: AbortSignal | undefined): ConfigurationOptions | undefined {
  if (signal === undefined) return undefined;
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

export function kindSources(kubeConfig: KubeConfig): Readonly<Record<KindName, KindSource>> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const networking = kubeConfig.makeApiClient(NetworkingV1Api);
  return {
    Namespace: {
      kind: 'Namespace',
      model: 'V1Namespace',
      path: '/api/v1/namespaces',
      list: (request, signal) => core.listNamespace(request, abortable(signal)),
    },
    Pod: {
      kind: 'Pod',
      model: 'V1Pod',
      path: '/api/v1/pods',
      list: (request, signal) => core.listPodForAllNamespaces(request, abortable(signal)),
    },
    NetworkPolicy: {
      kind: 'NetworkPolicy',
      model: 'V1NetworkPolicy',
      path: '/apis/networking.k8s.io/v1/networkpolicies',
      list: (request, signal) => networking.listNetworkPolicyForAllNamespaces(request, abortable(signal)),
    },
    Service: {
      kind: 'Service',
      model: 'V1Service',
      path: '/api/v1/services',
      list: (request, signal) => core.listServiceForAllNamespaces(request, abortable(signal)),
    },
    Deployment: {
      kind: 'Deployment',
      model: 'V1Deployment',
      path: '/apis/apps/v1/deployments',
      list: (request, signal) => apps.listDeploymentForAllNamespaces(request, abortable(signal)),
    },
    StatefulSet: {
      kind: 'StatefulSet',
      model: 'V1StatefulSet',
      path: '/apis/apps/v1/statefulsets',
      list: (request, signal) => apps.listStatefulSetForAllNamespaces(request, abortable(signal)),
    },
    DaemonSet: {
      kind: 'DaemonSet',
      model: 'V1DaemonSet',
      path: '/apis/apps/v1/daemonsets',
      list: (request, signal) => apps.listDaemonSetForAllNamespaces(request, abortable(signal)),
    },
  };
}
