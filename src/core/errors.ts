/**
 * Typed errors with stable codes for everything netpol refuses. Each boundary (CLI, bot, worker)
 * turns a NetpolError into one clear line; anything else is a bug and is reported as such.
 *
 * | code                  | what it means                                          | what to do                        |
 * |-----------------------|--------------------------------------------------------|-----------------------------------|
 * | E_SYNTAX              | the request does not follow the grammar                | fix the word the column points at |
 * | E_UNKNOWN_NAMESPACE   | a namespace named in the request is not in the cluster | check the name (a suggestion is given) |
 * | E_UNSUPPORTED         | NetworkPolicy v1 cannot express what was asked         | follow the hint                   |
 * | E_INVALID_VALUE       | a name, label, port or CIDR breaks Kubernetes' rules   | fix the value named               |
 * | E_STATE               | the state file cannot be read or is not valid          | fix the file at the line given    |
 * | E_NOT_OWNED           | the policy would overwrite one netpol does not manage  | pick another name or remove it    |
 * | E_UNKNOWN_ENDPOINT    | a pod or IP given to explain/query is not known        | check the name                    |
 * | E_USAGE               | the command line is wrong                              | see `netpol --help`               |
 * | E_CONFIG              | the configuration is invalid (every problem is listed) | fix the variables / file named    |
 * | E_FORBIDDEN           | the person may not do this (request, approve)          | ask an approver / an admin        |
 */

export type ErrorCode =
  | 'E_SYNTAX'
  | 'E_UNKNOWN_NAMESPACE'
  | 'E_UNSUPPORTED'
  | 'E_INVALID_VALUE'
  | 'E_STATE'
  | 'E_NOT_OWNED'
  | 'E_UNKNOWN_ENDPOINT'
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_FORBIDDEN';

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
