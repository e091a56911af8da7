#!/usr/bin/env node
/**
 * The process edge of a cluster's policy worker: the only place that reads the environment (through
 * loadWorkerConfig, which reports every problem at once), builds the logger, starts the worker and
 * stops it on SIGTERM/SIGINT. A second signal during shutdown exits at once; jobs in progress then
 * stall and are re-run by another worker (server-side apply makes that safe).
 *
 *   NETPOL_CLUSTER=prod REDIS_URL=redis://... node dist/src/workers/main.js [--cluster prod]
 */
import pino from 'pino';
import { loadWorkerConfig } from '../platform/config/load-config';
import { isNetpolError } from '../core/errors';
import { startPolicyWorker } from './run-worker';

/** Secrets that may appear in logged objects: connection URLs with passwords, tokens, auth headers. */
export const REDACT_PATHS = [
  'redisUrl',
  '*.redisUrl',
  'token',
  '*.token',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

async function main(): Promise<number> {
  let config;
  try {
    config = loadWorkerConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (!isNetpolError(error)) throw error;
    process.stderr.write(`netpol-worker: ${error.toLine()}\n`);
    return 2;
  }
  const log = pino({
    level: config.logLevel,
    base: { service: 'netpol-worker' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
  const worker = await startPolicyWorker(config, { log });

  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal; exiting without waiting for jobs');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      worker.close().then(resolve, (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `netpol-worker: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
