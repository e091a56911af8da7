/**
 * The bot's process edge: reads the environment once (loadBotConfig), logs with pino (secrets
 * redacted), starts everything, and stops cleanly on SIGTERM/SIGINT. A broken configuration is one
 * line listing every problem, and exit status 2.
 */
import pino from 'pino';
import { loadBotConfig } from '../platform/config/load-config';
import { isNetpolError } from '../core/errors';
import { startBotProcess } from './run-bot';

export async function main(): Promise<void> {
  let config;
  try {
    config = loadBotConfig(process.env);
  } catch (error) {
    process.stderr.write(`netpol-bot: ${isNetpolError(error) ? error.toLine() : String(error)}\n`);
    process.exitCode = 2;
    return;
  }
  const log = pino({
    level: config.logLevel,
    base: { service: 'netpol-bot' },
    redact: {
      paths: ['*.token', '*.botToken', '*.appToken', '*.signingSecret', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
  const bot = await startBotProcess(config, { log });
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await bot.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `netpol-bot: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
