/**
 * `netpol show [NAMESPACE]`: what `/netpol show` answers in Slack (isolation per direction, every
 * policy of the namespace in words, who requested and approved netpol's), as text. The namespace is
 * the argument, else -n, else the kubeconfig context's namespace; the cluster is --state FILE or
 * the live cluster (live-state.ts).
 */
import { NetpolError } from '../core/errors';
import { summariseNamespace } from '../core/query/namespace-summary';
import { closest } from '../core/request/suggest';
import type { CliIo } from './cli-io';
import { CLUSTER_OPTIONS, loadCommandState } from './live-state';
import { parseOptions } from './options';
import { renderShowText } from './show-text';

export async function showCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    { ...CLUSTER_OPTIONS, namespace: { type: 'string', short: 'n' } },
    1,
  );
  const given = positionals[0] ?? values.namespace;
  if (positionals[0] !== undefined && values.namespace !== undefined && positionals[0] !== values.namespace) {
    throw new NetpolError(
      'E_USAGE',
      `show ${positionals[0]} and -n ${values.namespace} name two namespaces`,
      {
        hint: 'give one',
      },
    );
  }
  const { state, contextNamespace } = await loadCommandState(values, io);
  const namespace = given ?? contextNamespace;
  if (namespace === undefined || namespace === '') {
    throw new NetpolError('E_USAGE', 'show needs a namespace', { hint: 'e.g. netpol show backend' });
  }
  const summary = summariseNamespace(state, namespace);
  if (!summary.known) {
    const suggestion = closest(
      namespace,
      state.namespaces.map((n) => n.name),
    );
    throw new NetpolError('E_UNKNOWN_NAMESPACE', `no namespace "${namespace}" in the cluster`, {
      ...(suggestion === undefined ? {} : { hint: `did you mean "${suggestion}"?` }),
    });
  }
  io.stdout(renderShowText(summary));
  return 0;
}
