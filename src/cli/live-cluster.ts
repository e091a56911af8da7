/**
 * Reading the live cluster for a command given no --state, as kubectl would: the kubeconfig and
 * context (adapters/kube/kubeconfig.ts), then one list of each kind netpol reads, the same kinds and
 * state the workers build (adapters/kube/cluster-reader.ts). Read-only: it only lists.
 *
 * What was read is said on stderr (stdout stays the bytes --state would give). A failure becomes one
 * NetpolError line naming what is wrong: the API cannot be reached (E_KUBE_UNAVAILABLE), refused the
 * credentials (E_KUBE_UNAUTHORIZED) or the verb (E_KUBE_FORBIDDEN, naming the verb and resource).
 *
 * Loaded only when a command reads a cluster (live-state.ts imports it on demand): it brings in
 * @kubernetes/client-node, which a command on a state file never needs.
 */
import { NetpolError } from '../core/errors';
import type { ClusterState } from '../core/state/cluster-state';
import { KindReadError, readClusterState } from '../adapters/kube/cluster-reader';
import { toKubeApiError } from '../adapters/kube/kube-api-error';
import { chooseContext, type ChosenContext } from '../adapters/kube/kubeconfig';
import type { CliIo } from './cli-io';

export interface LiveChoice {
  kubeconfig?: string;
  context?: string;
  /** Give up when the cluster has not been read within this long; 0: wait as long as it takes. */
  timeoutMs?: number;
}

/** A server that accepts the connection but never answers (a dead VPN, a blackholed address). */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface LiveState {
  state: ClusterState;
  /** The context's default namespace, when it sets one. */
  namespace?: string;
}

/** Who reads what: `list pods, namespaces...`, for the 403 hint. */
const REQUIRED_RESOURCES = 'namespaces, pods and networkpolicies.networking.k8s.io';

export async function readLiveCluster(choice: LiveChoice, io: CliIo): Promise<LiveState> {
  const chosen = chooseContext({
    ...(choice.kubeconfig === undefined ? {} : { file: choice.kubeconfig }),
    ...(choice.context === undefined ? {} : { context: choice.context }),
    env: io.env ?? {},
  });
  io.stderr(
    `netpol: reading cluster "${chosen.cluster}" at ${chosen.server} ` +
      `(context "${chosen.context}", user "${chosen.user}", kubeconfig ${chosen.files.join(', ')})\n`,
  );
  const timeoutMs = choice.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = new AbortController();
  const timer = timeoutMs > 0 ? setTimeout(() => deadline.abort(), timeoutMs) : undefined;
  let read;
  try {
    read = await readClusterState(chosen.kubeConfig, {
      signal: deadline.signal,
      leftOut: (object, error) =>
        io.stderr(
          `netpol: warning: ${String(object.kind)} ${object.key} left out: ${error instanceof Error ? error.message : String(error)}\n`,
        ),
    });
  } catch (error) {
    if (deadline.signal.aborted) {
      throw new NetpolError(
        'E_KUBE_UNAVAILABLE',
        `no answer from the Kubernetes API at ${chosen.server} (context "${chosen.context}") within ${timeoutMs / 1000} s`,
        {
          hint: 'check that the cluster runs and is reachable from here (VPN, firewall), or raise --request-timeout',
          cause: error,
        },
      );
    }
    throw explain(error, chosen);
  } finally {
    clearTimeout(timer);
  }
  const forbidden = read.skipped.filter((s) => s.status === 403).map((s) => s.resource);
  if (forbidden.length > 0) {
    io.stderr(
      `netpol: note: user "${chosen.user}" may not list ${forbidden.join(', ')}: ` +
        'requests cannot name those; reachability is unaffected\n',
    );
  }
  return { state: read.state, ...(chosen.namespace === undefined ? {} : { namespace: chosen.namespace }) };
}

function explain(error: unknown, chosen: ChosenContext): NetpolError {
  const failure = error instanceof KindReadError ? error.failure : toKubeApiError(error);
  const resource = error instanceof KindReadError ? error.resource : 'the cluster';
  const where = `the Kubernetes API at ${chosen.server} (context "${chosen.context}")`;
  switch (failure.status) {
    case 0:
      return new NetpolError('E_KUBE_UNAVAILABLE', `cannot reach ${where}: ${reason(failure)}`, {
        hint: "check that the cluster runs and the kubeconfig's server address, or give --state FILE",
        cause: error,
      });
    case 401:
      return new NetpolError(
        'E_KUBE_UNAUTHORIZED',
        `${where} refused the credentials of user "${chosen.user}" (401 Unauthorized)`,
        { hint: 'log in again (a token may have expired) or fix the user in the kubeconfig', cause: error },
      );
    case 403:
      return new NetpolError(
        'E_KUBE_FORBIDDEN',
        `user "${chosen.user}" may not list ${resource} on ${where}: ${failure.message}`,
        {
          hint: `netpol reads with list on ${REQUIRED_RESOURCES} at the cluster scope (and services, deployments, statefulsets, daemonsets when allowed): ask for a ClusterRole that grants it`,
          cause: error,
        },
      );
    default:
      return new NetpolError(
        'E_KUBE_UNAVAILABLE',
        `${where} answered ${failure.status} ${failure.reason} to list ${resource}: ${failure.message}`,
        { hint: 'try again; check the API server if it persists', cause: error },
      );
  }
}

/** The innermost message of a network failure (ECONNREFUSED, ENOTFOUND, a certificate problem). */
function reason(failure: Error): string {
  let deepest: unknown = failure.cause ?? failure;
  while (deepest instanceof Error && deepest.cause !== undefined) deepest = deepest.cause;
  const message = deepest instanceof Error ? deepest.message : String(deepest);
  return message.replace(/^the Kubernetes API could not be reached: /, '');
}
