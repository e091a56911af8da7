/**
 * `netpol parse "<request>"`: the policy a request produces (or the answer to a query), as the bot
 * would plan it. A cluster is read only when asked (--state FILE, or the live cluster with --live,
 * --kubeconfig or --context: live-state.ts), and its reader loads only then, and the yaml
 * library only for YAML output or a YAML file, so `parse --output json` starts nearly as fast as
 * node itself.
 */
import { NetpolError } from '../core/errors';
import { renderPolicies } from '../core/policy/render-policies';
import { helpText } from '../core/request/help';
import { planRequest } from '../core/use-cases/plan-request';
import type { RequestLanguageConfig } from '../platform/config/config';
import type { Env } from '../platform/config/problems';
import { DEFAULT_KEYWORD_OPTIONS } from '../core/policy/keywords';
import { DEFAULT_LABEL_KEYS } from '../core/request/resolve-request';
import type { CliIo } from './cli-io';
import { CLUSTER_OPTIONS, loadCommandState } from './live-state';
import { outputOption, parseOptions } from './options';

export async function parseCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      ...CLUSTER_OPTIONS,
      live: { type: 'boolean' },
      output: { type: 'string' },
      config: { type: 'string' },
    },
    1,
  );
  const text = positionals[0];
  if (text === undefined || text.trim() === '') {
    throw new NetpolError('E_USAGE', 'parse needs a request', {
      hint: 'e.g. netpol parse "allow frontend nginx to backend"',
    });
  }
  const format = outputOption(values.output, ['yaml', 'json'] as const, 'yaml');
  const language = await requestLanguage(values.config, io.env ?? {});
  const readsCluster =
    values.state !== undefined ||
    values.live === true ||
    values.kubeconfig !== undefined ||
    values.context !== undefined;
  const state = readsCluster ? (await loadCommandState(values, io)).state : undefined;
  const plan = planRequest(text, state, {
    labelKeys: language.labelKeys,
    keywords: language.keywords,
    stateHint: 'add --state FILE, or --live for the current kubeconfig context',
  });
  if (plan.kind === 'help') {
    io.stdout(`${helpText(plan.topic)}\n`);
    return 0;
  }
  io.stderr(`netpol: understood: ${plan.command}\n`);
  for (const note of plan.notes) io.stderr(`netpol: resolved: ${note}\n`);
  if (plan.kind === 'answer') {
    io.stdout(plan.answer);
    return 0;
  }
  if (plan.warnings.length > 0) {
    const { formatWarning } = await import('../core/policy/warnings');
    for (const warning of plan.warnings) io.stderr(`netpol: ${formatWarning(warning)}\n`);
  }
  io.stdout(renderPolicies(plan.policies, format));
  return 0;
}

/**
 * Label keys and keywords as the bot reads them: --config FILE, else the bot's NETPOL_CONFIG, else
 * defaults. The configuration schema (zod) is loaded only when there is a file to read: `netpol
 * parse` without one must start nearly as fast as node itself.
 */
export async function requestLanguage(
  configFlag: string | undefined,
  env: Env,
): Promise<RequestLanguageConfig> {
  const path = configFlag ?? (env.NETPOL_CONFIG === '' ? undefined : env.NETPOL_CONFIG);
  if (path === undefined) {
    return {
      labelKeys: [...DEFAULT_LABEL_KEYS],
      keywords: {
        clusterCidrs: [...DEFAULT_KEYWORD_OPTIONS.clusterCidrs],
        dns: { ...DEFAULT_KEYWORD_OPTIONS.dns, podLabels: { ...DEFAULT_KEYWORD_OPTIONS.dns.podLabels } },
      },
    };
  }
  const { loadRequestLanguageConfig } = await import('../platform/config/load-config');
  return loadRequestLanguageConfig({ path, source: configFlag !== undefined ? '--config' : 'NETPOL_CONFIG' });
}
