/**
 * A cluster's state from its API: the kinds netpol reads (CLUSTER_KINDS), how their objects become a
 * ClusterState (stateOfObjects), and `readClusterState`, which lists every kind once and returns the
 * state. The workers' cluster sync keeps the same kinds current with informers and builds its
 * snapshots with the same stateOfObjects; the CLI reads a live cluster with readClusterState. So a
 * `netpol matrix` on the live cluster sees what the bot's snapshot of it holds.
 *
 * Optional kinds (Services and workloads, which only help requests name things) that the API does not
 * serve (404) or RBAC does not let us list (403) are skipped and reported, as the informers do.
 * Any other failure, or any failure of a required kind, rejects with a KindReadError naming the kind.
 * Stateless; the kinds are listed concurrently, and all lists have ended when it returns or rejects.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { stateFromObjects } from '../../core/state/load-state';
import type { ClusterState } from '../../core/state/cluster-state';
import { toKubeApiError, type KubeApiError } from './kube-api-error';
import { kindSources, type KindName } from './kinds';
import { keyOf, listKind, resourceOf, type KindSource, type KubeObject } from './kube-objects';

/** The kinds a cluster state is made of. Required kinds must list; optional ones are skipped when not served. */
export const CLUSTER_KINDS: readonly { kind: KindName; required: boolean }[] = [
  { kind: 'Namespace', required: true },
  { kind: 'Pod', required: true },
  { kind: 'NetworkPolicy', required: true },
  { kind: 'Service', required: false },
  { kind: 'Deployment', required: false },
  { kind: 'StatefulSet', required: false },
  { kind: 'DaemonSet', required: false },
];

/** Told about an object the state reader rejects (which an API server should never serve). */
export type LeftOut = (object: { key: string; kind: unknown }, error: unknown) => void;

/**
 * The state from API objects. An object the state reader rejects is left out (and reported) rather
 * than failing the whole state.
 */
export function stateOfObjects(objects: readonly KubeObject[], leftOut: LeftOut = () => {}): ClusterState {
  try {
    return stateFromObjects(objects);
  } catch {
    const valid = objects.filter((object) => {
      try {
        stateFromObjects([object]);
        return true;
      } catch (error) {
        leftOut({ key: keyOf(object), kind: object.kind }, error);
        return false;
      }
    });
    return stateFromObjects(valid);
  }
}

/** Listing one kind failed: which kind and resource (`pods`, `networkpolicies.networking.k8s.io`), and why. */
export class KindReadError extends Error {
  constructor(
    readonly kind: KindName,
    readonly resource: string,
    readonly failure: KubeApiError,
  ) {
    super(`list ${resource}: ${failure.message}`, { cause: failure });
    this.name = 'KindReadError';
  }
}

export interface ClusterRead {
  state: ClusterState;
  /** Optional kinds left out: not served (404) or not readable (403). */
  skipped: { kind: KindName; resource: string; status: number }[];
}

export async function readClusterState(
  kubeConfig: KubeConfig,
  options: {
    leftOut?: LeftOut;
    pageSize?: number;
    /** Aborts every list (a deadline): they reject, and so does the read. */
    signal?: AbortSignal;
    /** Instead of kindSources(kubeConfig): tests give sources that fail as a real API can. */
    sources?: Readonly<Record<KindName, KindSource>>;
  } = {},
): Promise<ClusterRead> {
  const sources = options.sources ?? kindSources(kubeConfig);
  const skipped: ClusterRead['skipped'] = [];
  // allSettled, not all: every list has ended when this returns (no request outlives the call), and
  // the failure reported is the first kind's in CLUSTER_KINDS order, whichever answered first.
  const settled = await Promise.allSettled(
    CLUSTER_KINDS.map(({ kind }) =>
      listKind(sources[kind], { pageSize: options.pageSize, signal: options.signal }),
    ),
  );
  const lists = settled.map((result, index) => {
    const { kind, required } = CLUSTER_KINDS[index]!;
    if (result.status === 'fulfilled') return result.value.objects;
    const failure = toKubeApiError(result.reason);
    const resource = resourceOf(sources[kind]);
    if (!required && (failure.status === 404 || failure.status === 403)) {
      skipped.push({ kind, resource, status: failure.status });
      return [];
    }
    throw new KindReadError(kind, resource, failure);
  });
  return { state: stateOfObjects(lists.flat(), options.leftOut), skipped };
}
