/**
 * The bot's process edge: reads the environment once (loadBotConfig), builds the logger (secrets
 * redacted, platform/logger.ts), starts everything, and stops cleanly on SIGTERM/SIGINT
 * (platform/lifecycle.ts: a second signal exits at once). A broken configuration is one line
 * listing every problem, and exit status 2.
 */
import { loadBotConfig } from '../platform/config/load-config';
import { runProcess } from '../platform/lifecycle';
import { createLogger } from '../platform/logger';
import { startBotProcess } from './run-bot';

export function main(): Promise<void> {
  return runProcess({
    name: 'netpol-bot',
    loadConfig: () => loadBotConfig(process.env),
    createLog: (config) => createLogger({ service: 'netpol-bot', level: config.logLevel }),
    start: (config, log) => startBotProcess(config, { log }),
  });
}

if (require.main === module) void main();
