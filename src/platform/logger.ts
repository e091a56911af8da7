/**
 * The one way a netpol process builds its pino logger, so the bot, the workers (and the agent) log
 * the same shape (`service` on every line) and redact the same secrets: Slack tokens, the signing
 * secret, passwords, auth headers, and the password inside connection URLs (a `redisUrl` is logged
 * as `redis://user:[redacted]@host:6379`, so the host stays visible). Keys are matched at the top
 * level and up to two levels down (`{ config: { slack: { botToken } } }`). Build one per process in
 * main.ts and pass it down; components take `log.child(...)`.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED = '[redacted]';

/** Keys whose whole value is a secret. */
export const SECRET_KEYS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'password',
  'authorization',
] as const;

/** Keys that hold a URL: only the password inside is masked. */
export const URL_KEYS = ['redisUrl', 'url'] as const;

/** Every key at depth 0, 1 and 2: `token`, `*.token`, `*.*.token`. */
export const REDACT_PATHS: readonly string[] = [...SECRET_KEYS, ...URL_KEYS].flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
]);

const URL_KEY_SET: ReadonlySet<string> = new Set(URL_KEYS);

/**
 * `scheme://user:password@host...` with the password replaced; any other value unchanged. The
 * userinfo runs to the last `@`, so a password holding an unencoded `@` or `/` is masked whole:
 * rather more than less.
 */
export function maskUrlPassword(value: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@(.*)$/is.exec(value);
  if (match === null) return value;
  const [, scheme, userinfo, rest] = match as unknown as [string, string, string, string];
  const colon = userinfo.indexOf(':');
  if (colon < 0) return value;
  return `${scheme}${userinfo.slice(0, colon + 1)}${REDACTED}@${rest}`;
}

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1];
  if (key !== undefined && URL_KEY_SET.has(key)) {
    return typeof value === 'string' ? maskUrlPassword(value) : REDACTED;
  }
  return REDACTED;
}

export interface LoggerOptions {
  /** On every line as `service`: `netpol-bot`, `netpol-worker`. */
  service: string;
  /** pino level name (`info`, `debug`, `silent`...). */
  level: string;
  /** Where lines go; stdout when absent. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level,
    base: { service: options.service },
    redact: { paths: [...REDACT_PATHS], censor },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}
