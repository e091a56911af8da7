/**
 * NetpolError: everything netpol refuses, with a stable code. Each boundary (CLI, bot, worker) turns
 * a NetpolError into one clear line; anything else is a bug and is reported as such. The codes, what
 * they mean and what to do about them are in error-catalogue.ts (and README's "Errors" table).
 */
import type { CodeOf } from './error-catalogue';

/** The codes a NetpolError carries: those the catalogue lists as raised by NetpolError. */
export type ErrorCode = CodeOf<'NetpolError'>;

export interface NetpolErrorOptions {
  /** What the user can do about it, in one sentence. */
  hint?: string;
  /** 1-based column in the (normalised) request text the error points at. */
  column?: number;
  cause?: unknown;
}

export class NetpolError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly column?: number;

  constructor(code: ErrorCode, message: string, options: NetpolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NetpolError';
    this.code = code;
    this.hint = options.hint;
    this.column = options.column;
  }

  /** One line for a person: `E_SYNTAX at column 7: expected 'to' (hint)`. */
  toLine(): string {
    const where = this.column === undefined ? '' : ` at column ${this.column}`;
    const hint = this.hint === undefined ? '' : ` (${this.hint})`;
    return `${this.code}${where}: ${this.message}${hint}`;
  }
}

export function isNetpolError(value: unknown): value is NetpolError {
  return value instanceof NetpolError;
}
