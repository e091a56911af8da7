/**
 * `netpol suggest NAMESPACE --flows FILE [CLUSTER] [--config FILE] [--all] [--output yaml|json]`:
 * what `/netpol suggest` offers in Slack, from an observed-flows file (the format `netpol graph
 * --flows` reads). The flows become requests by core/suggest, and the requests policies by the same
 * planner as typed requests (plan-request.ts), as `netpol parse` plans one. Stderr lists each flow
 * ticked ([x]) or not ([ ]: blocked when seen, left out unless --all), what cannot be attributed,
 * the requests and the planner's warnings; stdout the policies.
 */
import { NetpolError } from '../core/errors';
import { dns1123LabelProblem } from '../core/k8s/names';
import { renderPolicies } from '../core/policy/render-policies';
import { formatWarning } from '../core/policy/warnings';
import { peerText, suggestFor, suggestionRequests } from '../core/suggest/suggest-policies';
import { planRequest } from '../core/use-cases/plan-request';
import { loadFlowsFile } from '../adapters/files/flows-file';
import type { CliIo } from './cli-io';
import { CLUSTER_OPTIONS, loadCommandState } from './live-state';
import { outputOption, parseOptions, requireOption } from './options';
import { requestLanguage } from './parse-command';

export async function suggestCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      ...CLUSTER_OPTIONS,
      flows: { type: 'string' },
      live: { type: 'boolean' },
      config: { type: 'string' },
      all: { type: 'boolean' },
      output: { type: 'string' },
    },
    1,
  );
  const namespace = positionals[0] ?? '';
  const problem = dns1123LabelProblem(namespace);
  if (problem !== undefined) {
    throw new NetpolError(
      'E_USAGE',
      namespace === ''
        ? 'suggest needs a namespace'
        : `"${namespace}" is not a namespace name: it ${problem}`,
      { hint: 'e.g. netpol suggest backend --flows flows.json --state cluster.yaml' },
    );
  }
  const flowsPath = requireOption(values.flows, '--flows');
  const format = outputOption(values.output, ['yaml', 'json'] as const, 'yaml');
  const file = await loadFlowsFile(flowsPath);
  const language = await requestLanguage(values.config, io.env ?? {});
  const readsCluster =
    values.state !== undefined ||
    values.live === true ||
    values.kubeconfig !== undefined ||
    values.context !== undefined;
  const state = readsCluster ? (await loadCommandState(values, io)).state : undefined;

  const suggestion = suggestFor(namespace, file.flows, { keywords: language.keywords });
  if (suggestion.items.length === 0) {
    io.stderr(`netpol: no flows to or from namespace ${namespace} in ${flowsPath}: nothing to suggest\n`);
    return 0;
  }
  const ticked = new Set(suggestion.items.filter((i) => values.all === true || i.ticked).map((i) => i.id));
  for (const item of suggestion.items) {
    const { flow } = item;
    io.stderr(
      `netpol: [${ticked.has(item.id) ? 'x' : ' '}] ${peerText(flow.source)} -> ${peerText(flow.destination)} ` +
        `${flow.protocol.toLowerCase()}/${flow.port} (${flow.verdict}, ${flow.count} seen)\n`,
    );
  }
  for (const { flow, why } of suggestion.unattributed) {
    io.stderr(`netpol: not attributed: ${peerText(flow.source)} -> ${peerText(flow.destination)}: ${why}\n`);
  }
  const blocked = suggestion.items.filter((i) => !ticked.has(i.id)).length;
  if (blocked > 0)
    io.stderr(`netpol: ${blocked} flow(s) seen blocked stay blocked (--all allows them too)\n`);

  const requests = suggestionRequests(suggestion, ticked);
  const policies = requests.flatMap((text) => {
    io.stderr(`netpol: request: ${text}\n`);
    const plan = planRequest(text, state, {
      labelKeys: language.labelKeys,
      keywords: language.keywords,
      stateHint: 'add --state FILE, or --live for the current kubeconfig context',
    });
    if (plan.kind !== 'policies') throw new Error(`suggestion produced a non-change: ${text}`);
    for (const warning of plan.warnings) io.stderr(`netpol: ${formatWarning(warning)}\n`);
    return plan.policies;
  });
  io.stdout(renderPolicies(policies, format));
  return 0;
}
