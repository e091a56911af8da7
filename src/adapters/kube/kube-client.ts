/**
 * The workers' only door to a cluster's NetworkPolicies: `PolicyApi` (get, server-side apply,
 * delete), and its implementation over @kubernetes/client-node 1.4 (KubernetesObjectApi.patch with
 * `application/apply-patch+yaml`). Every failure leaves here as a KubeApiError (kube-api-error.ts).
 *
 * Objects cross this boundary in the wire shape (`from`, ISO timestamps), the same shape the request
 * record stores and hashes. client-node's typed models differ (`_from`, Date objects), so objects are
 * converted with client-node's own ObjectSerializer on the way in and out; the conversion keeps every
 * NetworkPolicy v1 field and drops fields the model does not know (none of netpol's).
 *
 * Stateless apart from client-node's discovery cache: safe to share between concurrent jobs.
 */
import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import type { NetworkPolicy } from '../../core/k8s/types';
import { toKubeApiError } from './kube-api-error';

const MODEL = 'V1NetworkPolicy';

export interface PolicyApi {
  /** The policy as stored, or undefined when there is none (404). */
  get(namespace: string, name: string): Promise<NetworkPolicy | undefined>;
  /** Server-side apply as `fieldManager`, forcing ownership (callers only apply objects netpol owns). */
  apply(policy: NetworkPolicy, fieldManager: string): Promise<NetworkPolicy>;
  /** Deletes the policy; false when it was already gone. */
  delete(namespace: string, name: string): Promise<boolean>;
}

/** Wire JSON -> client-node model (what KubernetesObjectApi serialises). */
export function toModel<T>(object: unknown, model: string): T {
  return ObjectSerializer.deserialize(object, model) as T;
}

/** client-node model -> wire JSON (what the API sent). */
export function fromModel<T>(object: unknown, model: string): T {
  return ObjectSerializer.serialize(object, model) as T;
}

function reference(namespace: string, name: string) {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name } };
}

export class ClientNodePolicyApi implements PolicyApi {
  private readonly objects: KubernetesObjectApi;

  constructor(kubeConfig: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  async get(namespace: string, name: string): Promise<NetworkPolicy | undefined> {
    try {
      const found = await this.objects.read(reference(namespace, name));
      return fromModel<NetworkPolicy>(found, MODEL);
    } catch (error) {
      const failure = toKubeApiError(error);
      if (failure.status === 404) return undefined;
      throw failure;
    }
  }

  async apply(policy: NetworkPolicy, fieldManager: string): Promise<NetworkPolicy> {
    try {
      const applied = await this.objects.patch(
        toModel<{ apiVersion: string; kind: string }>(policy, MODEL),
        undefined,
        undefined,
        fieldManager,
        true,
        PatchStrategy.ServerSideApply,
      );
      return fromModel<NetworkPolicy>(applied, MODEL);
    } catch (error) {
      throw toKubeApiError(error);
    }
  }

  async delete(namespace: string, name: string): Promise<boolean> {
    try {
      await this.objects.delete(reference(namespace, name));
      return true;
    } catch (error) {
      const failure = toKubeApiError(error);
      if (failure.status === 404) return false;
      throw failure;
    }
  }
}

/** A kubeconfig file when a path is given, else the pod's in-cluster service account. */
export function loadKubeConfig(kubeconfigPath: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (kubeconfigPath !== undefined && kubeconfigPath !== '') kubeConfig.loadFromFile(kubeconfigPath);
  else kubeConfig.loadFromCluster();
  return kubeConfig;
}
