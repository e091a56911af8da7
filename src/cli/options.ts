/**
 * Reading a command's flags: node's parseArgs in strict mode, every misuse a NetpolError E_USAGE
 * (one line on stderr, exit 2), never a stack trace. Shared by the commands in this folder.
 */
import { parseArgs } from 'node:util';
import { NetpolError } from '../core/errors';

type Options = Record<
  string,
  { type: 'string'; short?: string; multiple?: boolean } | { type: 'boolean'; short?: string }
>;

export function parseOptions<O extends Options>(args: string[], options: O, positionals: number) {
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

export function requireOption(value: string | undefined, flag: string): string {
  if (value === undefined || value === '')
    throw new NetpolError('E_USAGE', `${flag} is required`, { hint: 'see netpol --help' });
  return value;
}

export function outputOption<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new NetpolError('E_USAGE', `--output "${value}" is not one of ${allowed.join(', ')}`);
}
