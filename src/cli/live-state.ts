/**
 * Where a command's cluster comes from: `--state FILE`, else the live cluster of the kubeconfig
 * (`--kubeconfig FILE`, `--context NAME`; else KUBECONFIG, else ~/.kube/config, and its current
 * context), as kubectl reads it. The readers are imported only when a cluster is read: the state
 * file's when --state is given, the live one (live-cluster.ts, with @kubernetes/client-node) when not,
 * so `parse` without a cluster loads neither and commands on a state file never load client-node.
 */
import { NetpolError } from '../core/errors';
import type { ClusterState } from '../core/state/cluster-state';
import type { CliIo } from './cli-io';

/** The flags that choose the cluster, for parseOptions. */
export const CLUSTER_OPTIONS = {
  state: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'request-timeout': { type: 'string' },
} as const;

export interface ClusterChoice {
  state?: string;
  /** `parse --live`: read the kubeconfig's cluster (the other commands read it whenever --state is absent). */
  live?: boolean;
  kubeconfig?: string;
  context?: string;
  /** `30s`, `2m`, `500ms` or seconds; `0`: no limit. */
  'request-timeout'?: string;
}

export interface CommandState {
  state: ClusterState;
  /** The kubeconfig context's default namespace (live cluster only), for commands that take -n. */
  contextNamespace?: string;
}

export async function loadCommandState(choice: ClusterChoice, io: CliIo): Promise<CommandState> {
  if (choice.state !== undefined) {
    if (
      choice.kubeconfig !== undefined ||
      choice.context !== undefined ||
      choice.live === true ||
      choice['request-timeout'] !== undefined
    ) {
      throw new NetpolError(
        'E_USAGE',
        '--state reads a file, --live, --kubeconfig, --context and --request-timeout a cluster: give one',
        {
          hint: 'without --state the kubeconfig (KUBECONFIG, ~/.kube/config) is read',
        },
      );
    }
    if (choice.state === '') throw new NetpolError('E_USAGE', '--state needs a file');
    return { state: await (await import('../adapters/files/state-file')).loadStateFile(choice.state) };
  }
  const timeout = choice['request-timeout'];
  const live = await (
    await import('./live-cluster')
  ).readLiveCluster(
    {
      ...(choice.kubeconfig === undefined ? {} : { kubeconfig: choice.kubeconfig }),
      ...(choice.context === undefined ? {} : { context: choice.context }),
      ...(timeout === undefined ? {} : { timeoutMs: durationMs(timeout) }),
    },
    io,
  );
  return {
    state: live.state,
    ...(live.namespace === undefined ? {} : { contextNamespace: live.namespace }),
  };
}

/** kubectl's --request-timeout forms: `30s`, `2m`, `500ms`, `1h`, or a number of seconds. */
function durationMs(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h)?$/.exec(text);
  if (match === null)
    throw new NetpolError('E_USAGE', `--request-timeout "${text}" is not a duration`, {
      hint: 'e.g. 30s, 2m, 500ms; 0 waits as long as it takes',
    });
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] as number;
  return Number(match[1]) * unit;
}
