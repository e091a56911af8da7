/**
 * The life of a long-running netpol process (bot, worker, agent), the same for each:
 *
 *   start    load the configuration; a NetpolError (E_CONFIG, E_USAGE) is one line on stderr and exit
 *            status 2, anything else is a bug: its stack on stderr, exit status 1
 *   run      until the first SIGTERM or SIGINT (listened for from before start: a signal while
 *            starting closes what started once it has)
 *   stop     close what start returned, then exit 0 (1 if closing failed)
 *   hurry    a second signal while closing exits at once with status 1: in-flight work is abandoned
 *            (BullMQ re-runs a stalled job elsewhere; server-side apply makes that safe)
 *
 * Exits with process.exit once closed, so a handle some library forgot to close cannot keep a
 * stopped process alive. main.ts calls runProcess and does nothing else.
 */
import { isNetpolError } from '../core/errors';

/** What the lifecycle logs through (pino's Logger has it). */
export interface LifecycleLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** What start returns: closed once, on the first signal. */
export interface Closable {
  close(): Promise<void>;
}

export interface ProcessSpec<Config, Log extends LifecycleLog> {
  /** Prefix of every stderr line: `netpol-worker: E_CONFIG: ...`. */
  name: string;
  /** Reads and validates the environment; throws a NetpolError when it is unusable. */
  loadConfig: () => Config;
  createLog: (config: Config) => Log;
  start: (config: Config, log: Log) => Promise<Closable>;
  /** Defaults to SIGTERM and SIGINT. */
  signals?: NodeJS.Signals[];
}

/** Status codes, as documented above. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_CONFIG = 2;

function internalError(name: string, error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `${name}: internal error: ${text}\n`;
}

/**
 * Runs the process described by `spec`; never returns normally once started: the process exits
 * when closed. Resolves (with process.exitCode set) only when it did not start.
 */
export async function runProcess<Config, Log extends LifecycleLog>(
  spec: ProcessSpec<Config, Log>,
): Promise<void> {
  let config: Config;
  try {
    config = spec.loadConfig();
  } catch (error) {
    if (isNetpolError(error)) {
      process.stderr.write(`${spec.name}: ${error.toLine()}\n`);
      process.exitCode = EXIT_BAD_CONFIG;
    } else {
      process.stderr.write(internalError(spec.name, error));
      process.exitCode = EXIT_FAILED;
    }
    return;
  }

  let log: Log;
  try {
    log = spec.createLog(config);
  } catch (error) {
    process.stderr.write(internalError(spec.name, error));
    process.exitCode = EXIT_FAILED;
    return;
  }

  const signals = spec.signals ?? ['SIGTERM', 'SIGINT'];
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      log.warn({ signal }, 'second signal; exiting without waiting for work in progress');
      process.exit(EXIT_FAILED);
    }
    closing = true;
    log.info({ signal }, 'shutting down');
    starting
      .then((service) => service.close())
      .then(
        () => process.exit(EXIT_OK),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(EXIT_FAILED);
        },
      );
  };
  // Listening before start, which may announce readiness: a signal that arrives while starting
  // closes what started, once it has.
  for (const signal of signals) process.on(signal, onSignal);
  const starting = (async () => spec.start(config, log))();

  try {
    await starting;
  } catch (error) {
    process.stderr.write(internalError(spec.name, error));
    // What started before the failure (a Redis connection retrying) would keep the process alive.
    process.exit(EXIT_FAILED);
  }
}
