/**
 * `netpol`: the policy engine on the command line. `runCli` is the whole program minus the process:
 * it returns the exit code (0 success, 2 bad input, 1 a bug) and writes through the injected io, so
 * tests run it in-process. Bad input is one line on stderr, never a stack trace.
 */
import { parseArgs } from 'node:util';
import { isNetpolError, NetpolError } from '../core/errors';
import { buildPolicyIndex, computeMatrix, evaluateConnection } from '../core/evaluator';
import { renderPolicies } from '../core/policy/render-policies';
import { formatWarning } from '../core/policy/warnings';
import { helpText } from '../core/request/help';
import { planRequest } from '../core/use-cases/plan-request';
import type { RequestLanguageConfig } from '../platform/config/config';
import { loadRequestLanguageConfig, type Env } from '../platform/config/load-config';
import { loadStateFile } from '../adapters/files/state-file';
import type { CliIo } from './cli-io';
import { parseEndpointArg, parseProtocolArg, resolvePortArg } from './endpoints';
import { renderMatrixTable } from '../core/query/render-matrix';
import { renderVerdict } from '../core/query/render-verdict';

const USAGE = `netpol: Kubernetes NetworkPolicies from plain requests, and answers to "can A reach B?"

usage:
  netpol parse "<request>" [--state FILE] [--config FILE] [--output yaml|json]
      Print the NetworkPolicy a request produces (queries like "can A reach B" are answered; needs --state).
      The canonical form of the request, name resolutions and warnings go to stderr.
      --config FILE: the bot's configuration file, so words resolve as the bot resolves them (its
      labelKeys, dns and clusterCidrs); default: $NETPOL_CONFIG if set, else the built-in defaults.
  netpol explain --state FILE --from NS/POD|IP --to NS/POD|IP --port N|NAME [--protocol TCP|UDP|SCTP]
      Whether one connection is allowed, and which policy and rule decide it on each side.
  netpol matrix --state FILE [--port N] [--protocol TCP|UDP|SCTP] [--output table|json]
      Reachability of every pod to every pod (default TCP/80). JSON: {"ns/pod": {"ns/pod": true|false}}.
  netpol help [topic]
      The request language (topics: allow, deny, query, selectors, ports, keywords).

FILE: YAML or JSON, several documents or one kind: List, as printed by
  kubectl get namespaces,pods,networkpolicies -A -o yaml
Exit status: 0 success, 2 bad input (one line on stderr), 1 internal error.
`;

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case 'parse':
        return await parseCommand(rest, io);
      case 'explain':
        return await explainCommand(rest, io);
      case 'matrix':
        return await matrixCommand(rest, io);
      case 'help':
        io.stdout(`${helpText(rest[0])}\n`);
        return 0;
      case undefined:
      case '-h':
      case '--help':
        io.stdout(USAGE);
        return 0;
      default:
        throw new NetpolError('E_USAGE', `unknown command "${command}"`, {
          hint: 'commands: parse, explain, matrix, help',
        });
    }
  } catch (error) {
    if (isNetpolError(error)) {
      io.stderr(`netpol: ${error.toLine()}\n`);
      return 2;
    }
    io.stderr(
      `netpol: internal error (please report it): ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

type Options = Record<string, { type: 'string' } | { type: 'boolean' }>;

function parseOptions<O extends Options>(args: string[], options: O, positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
  } catch (error) {
    throw new NetpolError('E_USAGE', (error as Error).message.split('\n')[0] ?? 'bad arguments', {
      hint: 'see netpol --help',
    });
  }
  if (parsed.positionals.length > positionals) {
    throw new NetpolError('E_USAGE', `unexpected argument "${parsed.positionals[positionals]}"`, {
      hint: 'quote the whole request: netpol parse "allow frontend nginx to backend"',
    });
  }
  return parsed;
}

function requireOption(value: string | undefined, flag: string): string {
  if (value === undefined || value === '')
    throw new NetpolError('E_USAGE', `${flag} is required`, { hint: 'see netpol --help' });
  return value;
}

function outputOption<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new NetpolError('E_USAGE', `--output "${value}" is not one of ${allowed.join(', ')}`);
}

async function parseCommand(args: string[], io: CliIo): Promise<number> {
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
  const state = values.state === undefined ? undefined : await loadStateFile(values.state);
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
  for (const warning of plan.warnings) io.stderr(`netpol: ${formatWarning(warning)}\n`);
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

async function explainCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseOptions(
    args,
    {
      state: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      port: { type: 'string' },
      protocol: { type: 'string' },
    },
    0,
  );
  const state = await loadStateFile(requireOption(values.state, '--state'));
  const index = buildPolicyIndex(state);
  const src = parseEndpointArg(state, index, requireOption(values.from, '--from'), '--from');
  const dst = parseEndpointArg(state, index, requireOption(values.to, '--to'), '--to');
  const { port, protocol } = resolvePortArg(
    requireOption(values.port, '--port'),
    dst,
    parseProtocolArg(values.protocol),
  );
  io.stdout(renderVerdict(evaluateConnection(index, src, dst, port, protocol), port, protocol));
  return 0;
}

async function matrixCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseOptions(
    args,
    {
      state: { type: 'string' },
      port: { type: 'string' },
      protocol: { type: 'string' },
      output: { type: 'string' },
    },
    0,
  );
  const format = outputOption(values.output, ['table', 'json'] as const, 'table');
  const protocol = parseProtocolArg(values.protocol) ?? 'TCP';
  const portText = values.port ?? '80';
  if (!/^[0-9]+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new NetpolError('E_USAGE', `--port "${portText}" is not a port number from 1 to 65535`, {
      hint: 'the matrix covers every pod, so a port name (which resolves per pod) cannot be used here',
    });
  }
  const port = Number(portText);
  const state = await loadStateFile(requireOption(values.state, '--state'));
  const matrix = computeMatrix(buildPolicyIndex(state), { port, protocol });
  io.stdout(
    format === 'json'
      ? `${JSON.stringify(matrix.toJSON())}\n`
      : renderMatrixTable(matrix, `reachability on ${protocol}/${port}`),
  );
  return 0;
}
