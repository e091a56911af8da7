/**
 * `netpol parse "<request>"`: the policy a request produces (or the answer to a query), as the bot
 * would plan it. The state file and its reader load only when --state is given, and the yaml
 * library only for YAML output or a YAML file, so `parse --output json` starts nearly as fast as
 * node itself.
 */
import { NetpolError } from '../core/errors';
import { renderPolicies } from '../core/policy/render-policies';
import { helpText } from '../core/request/help';
import { planRequest } from '../core/use-cases/plan-request';
import type { RequestLanguageConfig } from '../platform/config/config';
import { loadRequestLanguageConfig, type Env } from '../platform/config/load-config';
import type { CliIo } from './cli-io';
import { outputOption, parseOptions } from './options';

export async function parseCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    { state: { type: 'string' }, output: { type: 'string' }, config: { type: 'string' } },
    1,
  );
  const text = positionals[0];
  if (text === undefined || text.trim() === '') {
    throw new NetpolError('E_USAGE', 'parse needs a request', {
      hint: 'e.g. netpol parse "allow frontend nginx to backend"',
    });
  }
  const format = outputOption(values.output, ['yaml', 'json'] as const, 'yaml');
  const language = requestLanguage(values.config, io.env ?? {});
  const state =
    values.state === undefined
      ? undefined
      : await (await import('../adapters/files/state-file')).loadStateFile(values.state);
  const plan = planRequest(text, state, {
    labelKeys: language.labelKeys,
    keywords: language.keywords,
    stateHint: 'add --state FILE',
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

/** Label keys and keywords as the bot reads them: --config FILE, else the bot's NETPOL_CONFIG, else defaults. */
function requestLanguage(configFlag: string | undefined, env: Env): RequestLanguageConfig {
  if (configFlag !== undefined) return loadRequestLanguageConfig({ path: configFlag, source: '--config' });
  return loadRequestLanguageConfig({
    ...(env.NETPOL_CONFIG === undefined ? {} : { path: env.NETPOL_CONFIG }),
    source: 'NETPOL_CONFIG',
  });
}
