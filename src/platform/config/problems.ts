/**
 * Collecting configuration problems (every one is reported at once, each `where: what to fix`),
 * reading an environment variable through its schema (schema.ts), and freezing the result.
 */
import type { z } from 'zod';
import { NetpolError } from '../../core/errors';
import { fromText, type EnvVar } from './schema';

export type Env = Record<string, string | undefined>;

/** Every problem found, each `where: what to fix`. */
export class Problems {
  readonly list: string[] = [];
  add(where: string, message: string): void {
    this.list.push(`${where}: ${message}`);
  }
  /** zod's issues for a value read at `where` (a variable, or a file field's path). */
  addIssues(where: string, issues: readonly z.core.$ZodIssue[]): void {
    for (const issue of issues) {
      const path = [where, ...issue.path.filter((part) => typeof part !== 'number').map(String)];
      if (issue.code === 'unrecognized_keys')
        for (const key of issue.keys) this.add([...path, key].join('.'), issue.message);
      else this.add(path.join('.'), issue.message);
    }
  }
  throwIfAny(what: string): void {
    if (this.list.length > 0) {
      throw new NetpolError(
        'E_CONFIG',
        `invalid ${what} configuration (${this.list.length} problem${this.list.length === 1 ? '' : 's'}): ${this.list.join('; ')}`,
      );
    }
  }
}

/** A variable's value, checked by its schema; undefined when unset, empty or invalid (reported). */
export function readVariable<V extends EnvVar>(
  env: Env,
  variable: V,
  problems: Problems,
): z.output<V['schema']> | undefined {
  const text = env[variable.name];
  if (text === undefined || text === '') return undefined;
  const result = variable.schema.safeParse(fromText(variable, text));
  if (result.success) return result.data as z.output<V['schema']>;
  problems.addIssues(variable.name, result.error.issues);
  return undefined;
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
